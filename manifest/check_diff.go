package manifest

// NewFindings compares the findings of two builds of a site, by Key: added
// are those of after that before had not, fixed those of before that after
// has not, each in its list's order. A reference that moved to another line,
// or a page over its budget that grew, is neither.
func NewFindings(before, after []Finding) (added, fixed []Finding) {
	in := func(list []Finding) map[string]bool {
		keys := make(map[string]bool, len(list))
		for _, f := range list {
			keys[f.Key()] = true
		}
		return keys
	}
	was, is := in(before), in(after)
	for _, f := range after {
		if !was[f.Key()] {
			added = append(added, f)
			was[f.Key()] = true // once, should two findings share a key
		}
	}
	for _, f := range before {
		if !is[f.Key()] {
			fixed = append(fixed, f)
			is[f.Key()] = true
		}
	}
	return added, fixed
}
