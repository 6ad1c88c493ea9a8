package config

import (
	"fmt"
	"net/url"
	"text/template"
	tparse "text/template/parse"
)

// The agenda.link template escapes what it inserts. Each value an action
// prints goes through url.PathEscape, so {{.CounterpartName}} makes one
// path segment of "Elif Yılmaz" ("Elif%20Y%C4%B1lmaz"). A pipeline that
// ends in urlquery ({{.Counterpart | urlquery}}, for a query parameter) is
// escaped for a query instead, and one that ends in raw is inserted as it is.
var linkFuncs = template.FuncMap{
	"pathescape": func(v any) string { return url.PathEscape(fmt.Sprint(v)) },
	"raw":        func(v any) string { return fmt.Sprint(v) },
}

// parseLink parses an agenda.link template and makes each action that
// prints escape its value (see linkFuncs).
func parseLink(text string) (*template.Template, error) {
	t, err := template.New("agenda.link").Option("missingkey=error").Funcs(linkFuncs).Parse(text)
	if err != nil {
		return nil, err
	}
	for _, d := range t.Templates() { // {{define}}d ones too
		if d.Tree != nil {
			escapeActions(d.Tree.Root)
		}
	}
	return t, nil
}

// escapeActions appends pathescape to every printing action under n whose
// pipeline does not already end in an escaper of its own.
func escapeActions(n tparse.Node) {
	switch n := n.(type) {
	case *tparse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			escapeActions(c)
		}
	case *tparse.ActionNode:
		p := n.Pipe
		if p == nil || len(p.Decl) > 0 || len(p.Cmds) == 0 {
			return // {{$x := …}} prints nothing
		}
		if id, ok := p.Cmds[len(p.Cmds)-1].Args[0].(*tparse.IdentifierNode); ok {
			switch id.Ident {
			case "urlquery", "raw", "pathescape":
				return
			}
		}
		p.Cmds = append(p.Cmds, &tparse.CommandNode{
			NodeType: tparse.NodeCommand,
			Pos:      n.Pos,
			Args:     []tparse.Node{tparse.NewIdentifier("pathescape").SetPos(n.Pos)},
		})
	case *tparse.IfNode:
		escapeActions(n.List)
		escapeActions(n.ElseList)
	case *tparse.RangeNode:
		escapeActions(n.List)
		escapeActions(n.ElseList)
	case *tparse.WithNode:
		escapeActions(n.List)
		escapeActions(n.ElseList)
	}
}
