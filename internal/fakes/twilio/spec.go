package twilio

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// openAPI is an excerpt of Twilio's published OpenAPI description of the
// 2010-04-01 API (twilio/twilio-oai, spec/json/twilio_api_v2010.json): the
// operations the fake serves, with their parameters and request bodies.
//
//go:embed openapi.json
var openAPI []byte

// schema is the part of an OpenAPI schema the checks read.
type schema struct {
	Type      string   `json:"type"`
	Pattern   string   `json:"pattern"`
	MinLength *int     `json:"minLength"`
	MaxLength *int     `json:"maxLength"`
	Minimum   *float64 `json:"minimum"`
	Maximum   *float64 `json:"maximum"`
	Enum      []string `json:"enum"`
	Items     *schema  `json:"items"`
}

type parameter struct {
	Name     string `json:"name"`
	In       string `json:"in"`
	Required bool   `json:"required"`
	Schema   schema `json:"schema"`
}

type operation struct {
	ID          string      `json:"operationId"`
	Parameters  []parameter `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Schema struct {
				Properties map[string]schema `json:"properties"`
				Required   []string          `json:"required"`
			} `json:"schema"`
		} `json:"content"`
	} `json:"requestBody"`
}

// route is one path template of the description.
type route struct {
	template string
	re       *regexp.Regexp
	names    []string
	ops      map[string]*operation // by HTTP method
}

// spec holds the parsed description.
type spec struct{ routes []*route }

var placeholder = regexp.MustCompile(`\{([A-Za-z]+)\}`)

func loadSpec() (*spec, error) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		return nil, fmt.Errorf("openapi.json: %w", err)
	}
	s := &spec{}
	for tmpl, item := range doc.Paths {
		r := &route{template: tmpl, ops: map[string]*operation{}}
		expr := "^"
		last := 0
		for _, m := range placeholder.FindAllStringSubmatchIndex(tmpl, -1) {
			expr += regexp.QuoteMeta(tmpl[last:m[0]]) + `([^/]+)`
			r.names = append(r.names, tmpl[m[2]:m[3]])
			last = m[1]
		}
		expr += regexp.QuoteMeta(tmpl[last:]) + "$"
		r.re = regexp.MustCompile(expr)
		for method, raw := range item {
			switch method {
			case "get", "post", "delete":
			default:
				continue // servers, description, x-twilio
			}
			op := &operation{}
			if err := json.Unmarshal(raw, op); err != nil {
				return nil, fmt.Errorf("openapi.json %s %s: %w", method, tmpl, err)
			}
			r.ops[strings.ToUpper(method)] = op
		}
		s.routes = append(s.routes, r)
	}
	// Longer templates first, so /Messages/{Sid}.json never swallows
	// /Messages/{MessageSid}/Media.json.
	slices.SortFunc(s.routes, func(a, b *route) int { return len(b.template) - len(a.template) })
	return s, nil
}

// match finds the operation of a request. found is false when no path
// template matches; op is nil when the path exists but not the method.
func (s *spec) match(method, path string) (op *operation, params map[string]string, found bool) {
	for _, r := range s.routes {
		m := r.re.FindStringSubmatch(path)
		if m == nil {
			continue
		}
		params = map[string]string{}
		for i, n := range r.names {
			params[n] = m[i+1]
		}
		return r.ops[method], params, true
	}
	return nil, nil, false
}

// checkPath validates path parameters; a mismatch is a 404 at Twilio.
func (op *operation) checkPath(params map[string]string) error {
	for _, p := range op.Parameters {
		if p.In != "path" {
			continue
		}
		if err := p.Schema.check(p.Name, params[p.Name]); err != nil {
			return err
		}
	}
	return nil
}

// checkQuery validates the query string: every parameter declared, values
// of the declared type and range.
func (op *operation) checkQuery(q url.Values) error {
	for name, vals := range q {
		var decl *parameter
		for i := range op.Parameters {
			if op.Parameters[i].In == "query" && op.Parameters[i].Name == name {
				decl = &op.Parameters[i]
			}
		}
		if decl == nil {
			return fmt.Errorf("query parameter %q is not a parameter of %s", name, op.ID)
		}
		for _, v := range vals {
			if err := decl.Schema.check(name, v); err != nil {
				return err
			}
		}
	}
	for _, p := range op.Parameters {
		if p.In == "query" && p.Required && q.Get(p.Name) == "" {
			return fmt.Errorf("query parameter %q is required by %s", p.Name, op.ID)
		}
	}
	return nil
}

// checkForm validates an application/x-www-form-urlencoded body.
func (op *operation) checkForm(contentType string, form url.Values) error {
	if op.RequestBody == nil {
		if len(form) > 0 {
			return fmt.Errorf("%s takes no request body", op.ID)
		}
		return nil
	}
	body, ok := op.RequestBody.Content[contentType]
	if !ok {
		return fmt.Errorf("%s takes application/x-www-form-urlencoded, not %q", op.ID, contentType)
	}
	for name, vals := range form {
		prop, ok := body.Schema.Properties[name]
		if !ok {
			return fmt.Errorf("form parameter %q is not a parameter of %s", name, op.ID)
		}
		if prop.Type != "array" && len(vals) > 1 {
			return fmt.Errorf("form parameter %q given %d times", name, len(vals))
		}
		item := prop
		if prop.Type == "array" && prop.Items != nil {
			item = *prop.Items
		}
		for _, v := range vals {
			if err := item.check(name, v); err != nil {
				return err
			}
		}
	}
	for _, name := range body.Schema.Required {
		if form.Get(name) == "" {
			return fmt.Errorf("form parameter %q is required by %s", name, op.ID)
		}
	}
	return nil
}

func (s schema) check(name, v string) error {
	if s.MinLength != nil && len(v) < *s.MinLength || s.MaxLength != nil && len(v) > *s.MaxLength {
		return fmt.Errorf("%s %q has the wrong length", name, v)
	}
	if s.Pattern != "" && !regexp.MustCompile(s.Pattern).MatchString(v) {
		return fmt.Errorf("%s %q does not match %s", name, v, s.Pattern)
	}
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, v) {
		return fmt.Errorf("%s %q is not one of %v", name, v, s.Enum)
	}
	switch s.Type {
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("%s %q is not an integer", name, v)
		}
		if s.Minimum != nil && float64(n) < *s.Minimum || s.Maximum != nil && float64(n) > *s.Maximum {
			return fmt.Errorf("%s %d is out of range", name, n)
		}
	case "number":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("%s %q is not a number", name, v)
		}
	case "boolean":
		if v != "true" && v != "false" {
			return fmt.Errorf("%s %q is not true or false", name, v)
		}
	}
	return nil
}
