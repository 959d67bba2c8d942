// Command floor walks DIR and sha256s every regular file with WORKERS goroutines (default 2):
// the lower bound of a whole-site manifest build, read + hash and no parsing.
//
//	floor DIR [WORKERS]
package main

import (
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
)

func main() {
	workers := 2
	if len(os.Args) > 2 {
		workers, _ = strconv.Atoi(os.Args[2])
	}
	paths, wg := make(chan string, 256), sync.WaitGroup{}
	var files, bytes atomic.Int64
	for range workers {
		wg.Go(func() {
			for p := range paths {
				f, err := os.Open(p)
				if err != nil {
					panic(err)
				}
				h := sha256.New()
				n, err := io.Copy(h, f)
				if f.Close(); err != nil {
					panic(err)
				}
				h.Sum(nil)
				files.Add(1)
				bytes.Add(n)
			}
		})
	}
	err := filepath.WalkDir(os.Args[1], func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			paths <- p
		}
		return err
	})
	close(paths)
	wg.Wait()
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d files %d bytes\n", files.Load(), bytes.Load())
}
