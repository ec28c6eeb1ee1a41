package telegram

// Exports for the end-to-end tests in package telegram_test (e2e_test.go),
// which build a real bot.Bot and so cannot live in this package's own test
// files, yet need the fake Bot API of fake_test.go. Nothing here changes the
// fake; it only names what the external package may use.

import (
	"net/http"
	"net/url"
	"testing"
)

// FakeAPI is fake_test.go's Bot API server.
type FakeAPI = fakeAPI

const (
	// FakeToken is the only token the fake accepts.
	FakeToken = fakeToken
	// OffsetKey is where Run stores the getUpdates offset.
	OffsetKey = offsetKey
)

// NewFakeAPI starts a fake Bot API on loopback, closed when t ends.
func NewFakeAPI(t *testing.T) *FakeAPI { return newFake(t) }

// Endpoint is the fake's address in Options.APIEndpoint's format.
func (f *fakeAPI) Endpoint() string { return f.endpoint() }

// HTTPClient is the test server's own client.
func (f *fakeAPI) HTTPClient() *http.Client { return f.srv.Client() }

// Push queues an update; body is the update without its update_id.
func (f *fakeAPI) Push(id int, body string) { f.push(id, body) }

// FailNext makes the next call of method answer with an error envelope.
func (f *fakeAPI) FailNext(method string, code int, desc string, retryAfter int) {
	f.failNext(method, apiErr{Code: code, Desc: desc, RetryAfter: retryAfter})
}

// Calls returns the form values of every call of method received so far.
func (f *fakeAPI) Calls(method string) []url.Values { return f.calls(method) }

// Eventually is fake_test.go's polling wait: cond must hold within 5 s.
func Eventually(t *testing.T, what string, cond func() bool) { eventually(t, what, cond) }
