package deploycheck

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/policytext/policytext/pkg/queue"
)

// TestNATSConfig starts a NATS server from deploy/nats.conf (the data
// directory and ports moved to the test's) and logs in as each user of
// the compose stack: every one can set up the streams (as every process
// does at start) and publish what its service publishes, and is refused
// what another service publishes; a wrong password is refused.
func TestNATSConfig(t *testing.T) {
	pw := setPasswords(t)
	opts := natsOptions(t, "deploy/nats.conf", pw)
	opts.StoreDir, opts.Host, opts.Port, opts.HTTPPort, opts.NoLog, opts.NoSigs = t.TempDir(), "127.0.0.1", -1, 0, true, true
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Shutdown()
	if !s.ReadyForConnections(20 * time.Second) {
		t.Fatal("nats did not start")
	}

	checkLogins(t, s.ClientURL(), pw)
}

// setPasswords puts a password for each user of deploy/nats.conf in the
// environment, where the config reads them; it returns user → password.
func setPasswords(t *testing.T) map[string]string {
	pw := map[string]string{}
	for user, v := range natsUsers(t) {
		// .env.example's generator: a letter, then hex (which alone
		// could read as a number).
		pw[user] = "s1234e5" + user
		t.Setenv(v, pw[user])
	}
	return pw
}

// natsOptions reads a NATS config file as nats-server does and checks
// what compose relies on: JetStream on /data, monitoring on 8222, and
// exactly the users of pw with the environment's passwords.
func natsOptions(t *testing.T, file string, pw map[string]string) *server.Options {
	t.Helper()
	opts, err := server.ProcessConfigFile(filepath.Join(root, file))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if !opts.JetStream || opts.StoreDir != "/data" || opts.HTTPPort != 8222 || len(opts.Users) != len(pw) {
		t.Fatalf("%s: jetstream %v in %q, monitoring %d, %d users", file, opts.JetStream, opts.StoreDir, opts.HTTPPort, len(opts.Users))
	}
	for _, u := range opts.Users {
		if u.Password != pw[u.Username] {
			t.Errorf("%s: user %s: password %q, want the environment's %q", file, u.Username, u.Password, pw[u.Username])
		}
	}
	return opts
}

// checkLogins logs in to the server at url as each user of the compose
// stack (pw: user → password): every one can set up the streams (as every
// process does at start, with opts) and publish what its service
// publishes, and is refused what another service publishes; a wrong
// password and no login are refused.
func checkLogins(t *testing.T, url string, pw map[string]string, opts ...queue.Option) {
	t.Helper()
	if _, _, err := queue.Connect(url, "intruder", queue.UserInfo("fetcher", "wrong")...); err == nil {
		t.Error("a wrong password was accepted")
	}
	if _, _, err := queue.Connect(url, "intruder"); err == nil {
		t.Error("a client without a user was accepted")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	job := queue.AttachmentJob{PolicyID: "1", FileID: "2", FileURL: "https://example.org/a.doc"}
	for _, c := range []struct {
		user           string
		job, ev, reqst bool // may publish a job, an extracted event, a request
	}{
		{"fetcher", true, false, false},
		{"extractor", false, true, false},
		{"reconciler", false, false, false},
		{"policyctl", false, false, true},
	} {
		nc, js, err := queue.Connect(url, c.user, queue.UserInfo(c.user, pw[c.user])...)
		if err != nil {
			t.Fatalf("%s: %v", c.user, err)
		}
		if err := queue.Setup(ctx, js, opts...); err != nil {
			t.Errorf("%s: setup: %v", c.user, err)
		}
		try := func(what string, allowed bool, fn func(context.Context) error) {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			err := fn(pctx)
			if allowed && err != nil {
				t.Errorf("%s: %s refused: %v", c.user, what, err)
			}
			if !allowed && err == nil {
				t.Errorf("%s: may %s", c.user, what)
			}
		}
		job.FileID = c.user // a new job id each time
		try("publish a job", c.job, func(ctx context.Context) error { _, err := queue.PublishJob(ctx, js, job, ""); return err })
		try("publish an extracted event", c.ev, func(ctx context.Context) error {
			return queue.PublishExtracted(ctx, js, queue.Extracted{PolicyID: "1", FileID: c.user, OK: true})
		})
		try("request processing", c.reqst, func(ctx context.Context) error { return queue.RequestProcess(ctx, js, []string{"1"}) })
		nc.Close()
	}
}
