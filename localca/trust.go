package localca

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/smallstep/truststore"
)

// Stores selects the trust stores Install and Uninstall change.
type Stores struct {
	// System is the operating system's store: on Linux the CA folder
	// rebuilt by update-ca-certificates, update-ca-trust or trust (through
	// sudo when not root), the keychain on macOS, the ROOT store on Windows.
	System bool
	// NSS is the NSS databases of Chromium (~/.pki/nssdb, made when
	// missing: Chromium on Linux trusts only these) and of every Firefox
	// profile. It needs certutil.
	NSS bool
	// Java is Java's cacerts (needs keytool and JAVA_HOME).
	Java bool
}

// Install adds the authority kept in dir to the stores s selects. It
// returns a line per store changed; a store that could not be changed is an
// error, joined with the others, after the rest were tried.
func Install(dir string, s Stores) (done []string, err error) {
	return change(dir, s, true)
}

// Uninstall removes the authority kept in dir from the stores s selects;
// its files stay.
func Uninstall(dir string, s Stores) (done []string, err error) {
	return change(dir, s, false)
}

func change(dir string, s Stores, install bool) ([]string, error) {
	file, err := CertFile(dir)
	if err != nil {
		return nil, err
	}
	cert, err := truststore.ReadCertificate(file)
	if err != nil {
		return nil, fmt.Errorf("localca: %s: %w", file, err)
	}
	verb, prep := "installed", "into"
	apply := truststore.InstallFile
	if !install {
		verb, prep = "removed", "from"
		apply = truststore.UninstallFile
	}
	var done []string
	var errs []error
	step := func(store string, opts ...truststore.Option) {
		if err := apply(file, opts...); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", store, err))
			return
		}
		done = append(done, fmt.Sprintf("%s %s %s the %s", verb, cert.Subject.CommonName, prep, store))
	}
	if s.NSS {
		if err := prepareNSS(install); err != nil {
			errs = append(errs, fmt.Errorf("NSS databases: %w", err))
		} else {
			step("NSS databases of Chromium and Firefox", truststore.WithFirefox(), truststore.WithNoSystem())
		}
	}
	if s.Java {
		if _, err := exec.LookPath("keytool"); err != nil {
			errs = append(errs, errors.New("Java: keytool is not installed (it comes with a JDK): install one, or leave out --java"))
		} else {
			step("Java trust store", truststore.WithJava(), truststore.WithNoSystem())
		}
	}
	if s.System {
		if err := systemSupported(); err != nil {
			errs = append(errs, fmt.Errorf("system trust store: %w: trust %s by hand", err, file))
		} else {
			step("system trust store")
		}
	}
	return done, errors.Join(errs...)
}

// systemSupported says why the system store cannot be changed here, if it
// cannot: truststore knows no store folder of this Linux.
func systemSupported() error {
	if runtime.GOOS == "linux" && truststore.SystemTrustCommand == nil {
		return errors.New("no known system trust store here (looked for update-ca-certificates, update-ca-trust and trust)")
	}
	return nil
}

// prepareNSS checks for certutil and, to install, makes Chromium's NSS
// database when missing: Chromium makes it at its first start, so a user who
// trusts the authority before ever starting Chromium would otherwise not
// have it trusted there.
func prepareNSS(install bool) error {
	certutil, err := exec.LookPath("certutil")
	if err != nil {
		return errors.New("certutil is not installed (Debian, Ubuntu: apt install libnss3-tools; Fedora: dnf install nss-tools; macOS: brew install nss): Chromium and Firefox do not trust the local authority until it is")
	}
	if !install || runtime.GOOS != "linux" {
		return nil
	}
	// truststore reads $HOME, as here, rather than the password database.
	db := filepath.Join(os.Getenv("HOME"), ".pki", "nssdb")
	if _, err := os.Stat(filepath.Join(db, "cert9.db")); err == nil {
		return nil
	}
	if err := os.MkdirAll(db, 0o700); err != nil {
		return err
	}
	var out bytes.Buffer
	cmd := exec.Command(certutil, "-N", "--empty-password", "-d", "sql:"+db)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("make %s: certutil -N: %v: %s", db, err, bytes.TrimSpace(out.Bytes()))
	}
	return nil
}

// Trust is where the authority is trusted.
type Trust struct {
	System bool // the system's roots verify the localhost certificate
	NSS    bool // every NSS database found holds it (false without certutil)
}

// Trusted says where the authority kept in dir is trusted, making it if
// there is none yet.
func Trusted(dir string) (Trust, error) {
	file, err := CertFile(dir)
	if err != nil {
		return Trust{}, err
	}
	cert, err := truststore.ReadCertificate(file)
	if err != nil {
		return Trust{}, fmt.Errorf("localca: %s: %w", file, err)
	}
	var t Trust
	if roots, err := x509.SystemCertPool(); err == nil {
		_, err := cert.Verify(x509.VerifyOptions{Roots: roots})
		t.System = err == nil
	}
	if nss, err := truststore.NewNSSTrust(); err == nil && nss.PreCheck() == nil {
		t.NSS = nss.Exists(cert)
	}
	return t, nil
}

// String says where the authority is trusted, for a line of herald serve.
func (t Trust) String() string {
	var where []string
	if t.System {
		where = append(where, "the system")
	}
	if t.NSS {
		where = append(where, "Chromium and Firefox")
	}
	if len(where) == 0 {
		return "not trusted"
	}
	return "trusted by " + strings.Join(where, " and ")
}
