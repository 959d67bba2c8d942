package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

func firstParagraph(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		return s[:i]
	}
	return s
}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "integer"
	case float64:
		return "float"
	case bool:
		return "boolean"
	case []any:
		return "list"
	case map[string]any:
		return "table"
	case time.Time:
		return "date"
	}
	return "value"
}

// aType is tomlType with its article: "an integer".
func aType(v any) string {
	t := tomlType(v)
	if strings.IndexByte("aeiou", t[0]) >= 0 {
		return "an " + t
	}
	return "a " + t
}

// valueIs says what v is: "5 is an integer", "the value is a list".
func valueIs(v any) string {
	switch v.(type) {
	case []any, map[string]any:
		return "the value is " + aType(v)
	}
	return tomlValue(v) + " is " + aType(v)
}

func tomlValue(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case []any, map[string]any:
		return "the " + tomlType(v)
	}
	return fmt.Sprint(v)
}

// closest returns the valid key nearest to name, if it is near enough to
// be a typo.
func closest(name string, valid []string) string {
	best, bestD := "", 3
	for _, v := range valid {
		if len(name)-len(v) >= bestD || len(v)-len(name) >= bestD {
			continue // the distance is at least the difference in length
		}
		if d := editDistance(name, v); d < bestD {
			best, bestD = v, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
