package testsite

import (
	"regexp"
	"strings"
)

var (
	nghttpFrame = regexp.MustCompile(`^\[[^\]]*\] (?:recv|send) ([A-Z_]+) frame`)
	nghttpPath  = regexp.MustCompile(`^\[[^\]]*\] recv \(stream_id=\d+\) :path: (\S+)`)
)

// Promised lists, in order, the paths of the PUSH_PROMISE frames in the
// output of nghttp -nv, which prints a frame's header fields before the
// frame's line:
//
//	[  0.054] recv (stream_id=13) :path: /a.css
//	[  0.054] recv PUSH_PROMISE frame <length=58, flags=0x04, stream_id=13>
func Promised(out string) []string {
	var paths []string
	path := ""
	for _, line := range strings.Split(out, "\n") {
		if m := nghttpPath.FindStringSubmatch(line); m != nil {
			path = m[1]
		}
		if m := nghttpFrame.FindStringSubmatch(line); m != nil {
			if m[1] == "PUSH_PROMISE" {
				paths = append(paths, path)
			}
			path = ""
		}
	}
	return paths
}
