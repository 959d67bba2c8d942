package manifest

import "testing"

func TestLink(t *testing.T) {
	tests := []struct {
		name string
		a    Asset
		want string
	}{
		{"style", Asset{Path: "/css/a.css", As: "style", Type: "text/css; charset=utf-8", Why: WhyLink},
			"</css/a.css>; rel=preload; as=style"},
		{"script with query", Asset{Path: "/a.js?v=1&x=2", As: "script", Why: WhyHeadScript},
			"</a.js?v=1&x=2>; rel=preload; as=script"},
		{"font gets type and crossorigin", Asset{Path: "/f.woff2", As: "font", Type: "font/woff2", Why: WhyFontFace, CrossOrigin: "anonymous"},
			`</f.woff2>; rel=preload; as=font; type="font/woff2"; crossorigin`},
		{"use-credentials", Asset{Path: "/s.js", As: "script", Why: WhyHeadScript, CrossOrigin: "use-credentials"},
			"</s.js>; rel=preload; as=script; crossorigin=use-credentials"},
		{"modulepreload", Asset{Path: "/m.mjs", As: "script", Why: WhyModulePreload, CrossOrigin: "anonymous"},
			"</m.mjs>; rel=modulepreload; crossorigin"},
		{"explicit preload keeps its type", Asset{Path: "/h.avif", As: "image", Type: "image/avif", Why: WhyPreload},
			`</h.avif>; rel=preload; as=image; type="image/avif"`},
		{"hero image has no type", Asset{Path: "/h.png", As: "image", Type: "image/png", Why: WhyHero},
			"</h.png>; rel=preload; as=image"},
		{"media is quoted", Asset{Path: "/p.css", As: "style", Why: WhyLink, Media: `print and (x: "y")`},
			`</p.css>; rel=preload; as=style; media="print and (x: \"y\")"`},
		{"bytes a URI cannot hold are escaped", Asset{Path: "/a b/\"q\"<>{}|^`\\ü.css?x y", As: "style", Why: WhyLink},
			"</a%20b/%22q%22%3C%3E%7B%7D%7C%5E%60%5C%C3%BC.css?x%20y>; rel=preload; as=style"},
		{"escapes are kept", Asset{Path: "/a%20b.css", As: "style", Why: WhyLink},
			"</a%20b.css>; rel=preload; as=style"},
		{"odd destination is quoted", Asset{Path: "/x", As: "a b", Why: WhyPreload},
			`</x>; rel=preload; as="a b"`},
	}
	if got, want := (Asset{Path: "/m.js", As: "script", Why: WhyModulePreload, CrossOrigin: "anonymous"}).PreloadLink(),
		"</m.js>; rel=modulepreload; crossorigin; nopush"; got != want {
		t.Errorf("PreloadLink = %q, want %q", got, want)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.a.Link(); got != tt.want {
				t.Errorf("Link:\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}
