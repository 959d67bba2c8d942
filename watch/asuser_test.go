package watch

import (
	"io/fs"
)

// asUser reads a folder as a user without root would: a file without read
// permission (its mode on disk says none) cannot be opened or read. Root
// reads every file whatever its mode, and CI runs as root; the watcher's
// file system is wrapped through hooks.fsys so the tests of unreadable files
// run there too.
func asUser(fsys fs.FS) fs.FS { return userFS{fsys} }

type userFS struct{ fs fs.FS }

// denied returns the error opening name gives a user, if any.
func (u userFS) denied(op, name string) error {
	info, err := fs.Stat(u.fs, name)
	if err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o444 == 0 {
		return &fs.PathError{Op: op, Path: name, Err: fs.ErrPermission}
	}
	return nil
}

func (u userFS) Open(name string) (fs.File, error) {
	if err := u.denied("open", name); err != nil {
		return nil, err
	}
	return u.fs.Open(name)
}

func (u userFS) ReadFile(name string) ([]byte, error) {
	if err := u.denied("open", name); err != nil {
		return nil, err
	}
	return fs.ReadFile(u.fs, name)
}

func (u userFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(u.fs, name) }
func (u userFS) Stat(name string) (fs.FileInfo, error)      { return fs.Stat(u.fs, name) }
func (u userFS) Lstat(name string) (fs.FileInfo, error)     { return fs.Lstat(u.fs, name) }
func (u userFS) ReadLink(name string) (string, error)       { return fs.ReadLink(u.fs, name) }
