package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"herald/internal/testsite"
)

func TestCAPath(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := herald(t, "ca", "path", "--dir", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	file := strings.TrimSpace(out)
	if want := filepath.Join(dir, "ca", "rootCA.pem"); file != want {
		t.Errorf("printed %q, want %q", file, want)
	}
	if _, err := os.Stat(file); err != nil {
		t.Fatal(err)
	}
	if _, again, _ := herald(t, "ca", "path", "--dir", dir); again != out {
		t.Errorf("second call printed %q, want %q", again, out)
	}
	if code, _, _ := herald(t, "ca", "path", "extra"); code != exitUsage {
		t.Errorf("herald ca path extra: exit %d, want %d", code, exitUsage)
	}
}

// install puts the authority into Chromium's NSS database (made when
// missing) under the user's home, and uninstall takes it out again.
func TestCAInstallNSS(t *testing.T) {
	certutil := testsite.Tool(t, "certutil")
	home, dir := t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	db := "sql:" + filepath.Join(home, ".pki", "nssdb")
	listed := func() string {
		out, _ := exec.Command(certutil, "-L", "-d", db).CombinedOutput()
		return string(out)
	}

	code, out, errOut := herald(t, "ca", "install", "--system=false", "--dir", dir)
	if code != 0 {
		t.Fatalf("install: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "installed herald local CA") || !strings.Contains(out, filepath.Join(home, ".pki", "nssdb")) {
		t.Errorf("install printed %q", out)
	}
	if l := listed(); !strings.Contains(l, "herald local CA") || !strings.Contains(l, "C,,") {
		t.Errorf("certutil -L after install:\n%s", l)
	}

	code, out, errOut = herald(t, "ca", "uninstall", "--system=false", "--dir", dir)
	if code != 0 {
		t.Fatalf("uninstall: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "removed herald local CA") {
		t.Errorf("uninstall printed %q", out)
	}
	if l := listed(); strings.Contains(l, "herald local CA") {
		t.Errorf("certutil -L after uninstall:\n%s", l)
	}
}

// Without certutil, install says what to install and exits 1.
func TestCAInstallWithoutCertutil(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	code, _, errOut := herald(t, "ca", "install", "--system=false", "--dir", t.TempDir())
	if code != exitFindings || !strings.Contains(errOut, "libnss3-tools") {
		t.Errorf("exit %d, stderr %q: want 1 and a hint naming libnss3-tools", code, errOut)
	}
}
