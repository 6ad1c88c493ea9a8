package googleapi

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// apiError is one error answer in Google's JSON envelope:
//
//	{"error":{"errors":[{"domain","reason","message"[,"locationType","location"]}],"code","message"}}
type apiError struct {
	code         int
	domain       string
	reason       string
	message      string
	locationType string
	location     string
}

type errorItem struct {
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Message      string `json:"message"`
	LocationType string `json:"locationType,omitempty"`
	Location     string `json:"location,omitempty"`
}

type errorBody struct {
	Error struct {
		Errors  []errorItem `json:"errors"`
		Code    int         `json:"code"`
		Message string      `json:"message"`
	} `json:"error"`
}

func (e apiError) body() []byte {
	var b errorBody
	b.Error.Errors = []errorItem{{
		Domain: e.domain, Reason: e.reason, Message: e.message,
		LocationType: e.locationType, Location: e.location,
	}}
	b.Error.Code = e.code
	b.Error.Message = e.message
	out, _ := json.Marshal(b)
	return out
}

// The errors below are copied from the Calendar API's "Handle API errors"
// guide (developers.google.com/workspace/calendar/api/guides/errors) where it
// has them; the others are marked as guesses.
var (
	errNotFound = apiError{code: 404, domain: "global", reason: "notFound", message: "Not Found"}

	errFullSyncRequired = apiError{code: 410, domain: "calendar", reason: "fullSyncRequired",
		message:      "Sync token is no longer valid, a full sync is required.",
		locationType: "parameter", location: "syncToken"}

	errDeleted = apiError{code: 410, domain: "global", reason: "deleted", message: "Resource has been deleted"}

	errPrecondition = apiError{code: 412, domain: "global", reason: "conditionNotMet",
		message: "Precondition Failed", locationType: "header", location: "If-Match"}

	errNonOrganizer = apiError{code: 403, domain: "calendar", reason: "forbiddenForNonOrganizer",
		message: "Shared properties can only be changed by the organizer of the event."}

	// Guess: the reason is what Google answers for writes to a calendar the
	// user may only read; the message is the one seen in the wild.
	errReadOnly = apiError{code: 403, domain: "calendar", reason: "requiredAccessLevel",
		message: "You need to have writer access to this calendar."}

	// Message and reason as reported from the real API (domain guessed).
	errSyncTokenRestrictions = apiError{code: 400, domain: "calendar", reason: "syncTokenWithRequestRestrictions",
		message: "Sync token cannot be used with other request restrictions."}

	errTimeRangeEmpty = apiError{code: 400, domain: "calendar", reason: "timeRangeEmpty",
		message: "The specified time range is empty.", locationType: "parameter", location: "timeMax"}

	errOrdering = apiError{code: 400, domain: "global", reason: "badRequest",
		message: "The requested ordering is not available for the particular query."}

	errParse = apiError{code: 400, domain: "global", reason: "parseError", message: "Parse Error"}
)

func invalidParam(name, value string) apiError {
	return apiError{code: 400, domain: "global", reason: "invalid",
		message:      "Invalid value '" + value + "' for " + name + ".",
		locationType: "parameter", location: name}
}

func required(message string) apiError {
	return apiError{code: 400, domain: "global", reason: "required", message: message}
}

func notImplemented(what string) apiError {
	return apiError{code: 501, domain: "global", reason: "notImplemented",
		message: "googleapi fake: " + what + " is not implemented by the fake"}
}

// faultError is the answer for an injected fault of the given status.
func faultError(status int, reason string) apiError {
	if reason == "" {
		switch status {
		case 401:
			reason = "authError"
		case 403, 429:
			reason = "rateLimitExceeded"
		case 404:
			reason = "notFound"
		case 410:
			reason = "fullSyncRequired"
		case 412:
			reason = "conditionNotMet"
		default:
			if status >= 500 {
				reason = "backendError"
			} else {
				reason = "badRequest"
			}
		}
	}
	switch reason {
	case "rateLimitExceeded":
		return apiError{code: status, domain: "usageLimits", reason: reason, message: "Rate Limit Exceeded"}
	case "userRateLimitExceeded":
		return apiError{code: status, domain: "usageLimits", reason: reason, message: "User Rate Limit Exceeded"}
	case "quotaExceeded":
		return apiError{code: status, domain: "usageLimits", reason: reason, message: "Calendar usage limits exceeded."}
	case "backendError":
		return apiError{code: status, domain: "global", reason: reason, message: "Backend Error"}
	case "authError":
		return apiError{code: status, domain: "global", reason: reason, message: "Invalid Credentials",
			locationType: "header", location: "Authorization"}
	case "notFound":
		e := errNotFound
		e.code = status
		return e
	case "fullSyncRequired":
		e := errFullSyncRequired
		e.code = status
		return e
	case "conditionNotMet":
		e := errPrecondition
		e.code = status
		return e
	case "forbiddenForNonOrganizer":
		e := errNonOrganizer
		e.code = status
		return e
	case "requiredAccessLevel":
		e := errReadOnly
		e.code = status
		return e
	}
	return apiError{code: status, domain: "global", reason: reason, message: http.StatusText(status)}
}

func writeError(w http.ResponseWriter, e apiError) {
	body := e.body()
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.code)
	_, _ = w.Write(body)
}
