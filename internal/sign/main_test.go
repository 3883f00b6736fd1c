package sign

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"
)

// The test binary doubles as the gpg that rpmsign runs (TestRPMSign): with
// fakeGPGKey set it signs its stdin with Load and DetachSign, as rpm's
// %__gpg_sign_cmd asks gpg to ("gpg ... -sbo SIGFILE -- -").
const (
	fakeGPGKey  = "WSGIPACK_TEST_FAKE_GPG_KEY"  // Options.Key
	fakeGPGTime = "WSGIPACK_TEST_FAKE_GPG_TIME" // Options.Now, Unix seconds
)

func TestMain(m *testing.M) {
	if os.Getenv(fakeGPGKey) != "" {
		if err := fakeGPG(os.Args[1:]); err != nil {
			fmt.Fprintln(os.Stderr, "fake gpg:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	code := m.Run()
	for _, f := range cleanups {
		f()
	}
	os.Exit(code)
}

func fakeGPG(args []string) error {
	var out string
	for i, a := range args {
		if a == "-sbo" && i+1 < len(args) {
			out = args[i+1]
		}
	}
	if out == "" || len(args) == 0 || args[len(args)-1] != "-" {
		return fmt.Errorf("want gpg ... -sbo SIGFILE -- -, got %q", args)
	}
	sec, err := strconv.ParseInt(os.Getenv(fakeGPGTime), 10, 64)
	if err != nil {
		return err
	}
	s, err := Load(Options{Key: os.Getenv(fakeGPGKey), Now: func() time.Time { return time.Unix(sec, 0) }})
	if err != nil {
		return err
	}
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	sig, err := s.DetachSign(data, false)
	if err != nil {
		return err
	}
	return os.WriteFile(out, sig, 0o644)
}
