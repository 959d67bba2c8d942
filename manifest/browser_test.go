package manifest_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"io/fs"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"herald/audit"
	"herald/internal/testsite"
	"herald/manifest"
	"herald/sites"
)

// TestAgainstChromium checks the rules that imitate a browser against a real
// one (package audit): on each page the manifest's critical assets are
// exactly what Chromium treated as critical, the stylesheets and scripts it
// reports render-blocking, the web fonts it loads and the image of its
// largest contentful paint.
func TestAgainstChromium(t *testing.T) {
	chromium := testsite.Tool(t, "chromium")
	type site struct {
		name  string
		fsys  func(t *testing.T) fs.FS
		paths []string
	}
	for _, s := range []site{
		{"example", func(*testing.T) fs.FS { return sites.Example() }, []string{"/index.html"}},
		{"python", dirFS("python"), []string{"/index.html", "/library/os.html", "/library/hashlib.html", "/using/windows.html"}},
		{"postgres", dirFS("postgres"), []string{"/sql-select.html"}},
		{"reveal.js", dirFS("reveal.js"), []string{"/demo.html"}},
		{"swagger-ui-dist", dirFS("swagger-ui-dist"), []string{"/index.html"}},
		{"responsive", func(*testing.T) fs.FS { return responsive() }, []string{"/srcset.html", "/density.html", "/picture.html", "/jxl.html", "/svg.html", "/webp.html", "/lossless.html", "/avif.html"}},
	} {
		t.Run(s.name, func(t *testing.T) {
			fsys := s.fsys(t)
			m, _, err := manifest.Build(fsys, manifest.Options{})
			if err != nil {
				t.Fatal(err)
			}
			r, err := audit.Run(context.Background(), fsys, m, audit.Options{Chromium: chromium, Paths: s.paths})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range r.Pages {
				for _, x := range p.Ignored {
					t.Logf("%s: chromium took %s, a deferred resource of the body, for render-blocking", p.Path, x)
				}
				if len(p.Extra)+len(p.Missed) > 0 {
					t.Errorf("%s: chromium needed %q (LCP %s)\nmanifest lists %q", p.Path, p.Needed, p.LCP, p.Listed)
				}
			}
		})
	}
}

// responsive is a site of images the browser chooses by the viewport
// (srcset and sizes, <picture>) and of an SVG hero sized by its own
// width and height, and of WebP and AVIF heroes sized by their files
// (testdata/images, made by cwebp and avifenc). Chromium 156 shows JPEG XL
// (it sniffs the content: x.jxl is a PNG).
func responsive() fs.FS {
	image := func(name string) *fstest.MapFile {
		b, err := os.ReadFile("testdata/images/" + name)
		if err != nil {
			panic(err)
		}
		return &fstest.MapFile{Data: b}
	}
	page := func(body string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte("<!doctype html><title>t</title><body>" + body)}
	}
	var svg strings.Builder
	svg.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400">`)
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		fmt.Fprintf(&svg, `<rect x="%d" y="%d" width="%d" height="%d" fill="#%06x"/>`, rnd.IntN(800), rnd.IntN(400), rnd.IntN(200), rnd.IntN(100), rnd.IntN(1<<24))
	}
	svg.WriteString("</svg>")
	return fstest.MapFS{
		"srcset.html":  page(`<h1>Responsive</h1><img srcset="s.png 300w, m.png 600w, l.png 1000w" sizes="(max-width: 800px) 100vw, 400px" src=s.png alt="">`),
		"density.html": page(`<p>Two densities<img src=a.png srcset="a.png 1x, b.png 2x" alt="">`),
		"picture.html": page(`<picture><source media="(max-width: 600px)" srcset=p.png><source type=image/x-unknown srcset=u.png>` +
			`<source srcset="d1.png, d2.png 2x"><img src=f.png alt=""></picture>`),
		"jxl.html":      page(`<picture><source type=image/jxl srcset=x.jxl><img src=f.png alt=""></picture>`),
		"svg.html":      page(`<h1>A drawing</h1><img src=hero.svg alt="">`),
		"hero.svg":      &fstest.MapFile{Data: []byte(svg.String())},
		"webp.html":     page(`<h1>A photo</h1><img src=noise.webp alt="">`),
		"lossless.html": page(`<h1>A photo</h1><img src=lossless.webp alt="">`),
		"avif.html":     page(`<h1>A photo</h1><img src=noise.avif alt="">`),
		"noise.webp":    image("noise-320x180.webp"), "lossless.webp": image("noise-200x100-lossless.webp"),
		"noise.avif": image("noise-480x270.avif"),
		"s.png":      noisyPNG(300, 150), "m.png": noisyPNG(600, 300), "l.png": noisyPNG(1000, 500),
		"a.png": noisyPNG(500, 300), "b.png": noisyPNG(1000, 600),
		"p.png": noisyPNG(600, 400), "x.jxl": noisyPNG(500, 301), "u.png": noisyPNG(500, 302), "d1.png": noisyPNG(500, 300),
		"d2.png": noisyPNG(1000, 600), "f.png": noisyPNG(500, 300),
	}
}

// noisyPNG is a w x h PNG of grey noise: heavy enough per pixel to be a
// largest contentful paint.
func noisyPNG(w, h int) *fstest.MapFile {
	img := image.NewGray(image.Rect(0, 0, w, h))
	rnd := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for i := range img.Pix {
		img.Pix[i] = uint8(rnd.IntN(256))
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return &fstest.MapFile{Data: b.Bytes()}
}

func dirFS(name string) func(t *testing.T) fs.FS {
	return func(t *testing.T) fs.FS {
		root, err := os.OpenRoot(testsite.Dir(t, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { root.Close() })
		return root.FS()
	}
}
