package localca

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"herald/internal/testsite"
)

// TestMain runs Install, Uninstall or Trusted in a process of its own when
// asked to by trustIn: truststore reads $HOME once, when the process starts,
// so a test's home folder must be set before that.
func TestMain(m *testing.M) {
	if op := os.Getenv("LOCALCA_TEST_OP"); op != "" {
		dir, nss := os.Getenv("LOCALCA_TEST_DIR"), Stores{NSS: true}
		var lines []string
		var err error
		switch op {
		case "install":
			lines, err = Install(dir, nss)
		case "uninstall":
			lines, err = Uninstall(dir, nss)
		case "trusted":
			var t Trust
			t, err = Trusted(dir)
			lines = []string{fmt.Sprintf("nss=%v", t.NSS)}
		}
		fmt.Println(strings.Join(lines, "\n"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// trustIn runs op on the authority in dir with home as $HOME.
func trustIn(t *testing.T, home, dir, op string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "HOME="+home, "LOCALCA_TEST_OP="+op, "LOCALCA_TEST_DIR="+dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v: %s", op, err, err.(*exec.ExitError).Stderr)
	}
	return strings.TrimSpace(string(out))
}

// Install puts the authority into Chromium's NSS database, made when
// missing, and into every Firefox profile's; Trusted sees it there, and
// Uninstall takes it out of both.
func TestInstallNSS(t *testing.T) {
	certutil := testsite.Tool(t, "certutil")
	home, dir := t.TempDir(), t.TempDir()
	chromium := "sql:" + filepath.Join(home, ".pki", "nssdb")
	firefox := filepath.Join(home, ".mozilla", "firefox", "abc.default")
	if err := os.MkdirAll(firefox, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(certutil, "-N", "--empty-password", "-d", "sql:"+firefox).CombinedOutput(); err != nil {
		t.Fatalf("certutil -N: %v: %s", err, out)
	}
	holds := func(db string) bool {
		out, _ := exec.Command(certutil, "-L", "-d", db).CombinedOutput()
		return strings.Contains(string(out), "herald local CA")
	}

	if got := trustIn(t, home, dir, "trusted"); got != "nss=false" {
		t.Errorf("before install: %s", got)
	}
	if got := trustIn(t, home, dir, "install"); !strings.Contains(got, "installed herald local CA") {
		t.Errorf("install printed %q", got)
	}
	for _, db := range []string{chromium, "sql:" + firefox} {
		if !holds(db) {
			t.Errorf("%s lacks the authority after install", db)
		}
	}
	if got := trustIn(t, home, dir, "trusted"); got != "nss=true" {
		t.Errorf("after install: %s", got)
	}
	if got := trustIn(t, home, dir, "uninstall"); !strings.Contains(got, "removed herald local CA") {
		t.Errorf("uninstall printed %q", got)
	}
	for _, db := range []string{chromium, "sql:" + firefox} {
		if holds(db) {
			t.Errorf("%s still holds the authority after uninstall", db)
		}
	}
}

// Without certutil, Install says which package to install.
func TestInstallWithoutCertutil(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	done, err := Install(t.TempDir(), Stores{NSS: true})
	if len(done) != 0 || err == nil || !strings.Contains(err.Error(), "libnss3-tools") {
		t.Errorf("Install = %q, %v: want an error naming libnss3-tools", done, err)
	}
}
