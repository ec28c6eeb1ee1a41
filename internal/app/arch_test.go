package app

import (
	"encoding/json"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type pkgInfo struct {
	ImportPath string
	Dir        string
	Name       string
	Deps       []string
	Imports    []string
	GoFiles    []string
}

// listPackages runs `go list -deps -json` on the module's packages.
func listPackages(t *testing.T) []pkgInfo {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "carenet/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkgInfo
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkgInfo
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func moduleDeps(p pkgInfo) []string {
	var ds []string
	for _, d := range p.Deps {
		if d == "carenet" || strings.HasPrefix(d, "carenet/") {
			ds = append(ds, d)
		}
	}
	return ds
}

// TestDependencyRules enforces the package graph of ARCHITECTURE.md: leaves
// stay leaves, adapters see only the messaging types and their platform
// library, and only internal/app wires adapters and the store.
func TestDependencyRules(t *testing.T) {
	leaves := map[string]bool{
		"carenet/internal/chat": true, "carenet/internal/casework": true,
		"carenet/flows": true, "carenet/flows/defs": true, "carenet/locales": true,
		"carenet/internal/seal": true,
	}
	adapters := map[string]bool{"carenet/bot/sim": true, "carenet/bot/telegram": true, "carenet/bot/whatsapp": true}
	allowed := map[string][]string{
		"carenet/store":         {"carenet/internal/chat", "carenet/internal/casework", "carenet/flows"},
		"carenet/bot":           {"carenet/internal/chat", "carenet/internal/casework", "carenet/flows", "carenet/internal/l10n", "carenet/internal/seal"},
		"carenet/internal/l10n": {},
	}
	for _, p := range listPackages(t) {
		deps := moduleDeps(p)
		switch {
		case leaves[p.ImportPath]:
			if len(deps) > 0 {
				t.Errorf("%s is a leaf but imports %v", p.ImportPath, deps)
			}
		case adapters[p.ImportPath]:
			for _, d := range deps {
				if d != "carenet/internal/chat" {
					t.Errorf("adapter %s imports %s (only internal/chat is allowed)", p.ImportPath, d)
				}
			}
		default:
			if ok, listed := allowed[p.ImportPath]; listed {
				for _, d := range deps {
					if !contains(ok, d) {
						t.Errorf("%s imports %s; allowed: %v", p.ImportPath, d, ok)
					}
				}
			}
		}
		for _, d := range p.Imports { // direct imports: who wires what
			if adapters[d] && p.ImportPath != "carenet/internal/app" ||
				d == "carenet/store" && p.ImportPath != "carenet/internal/app" && p.ImportPath != testSupport {
				t.Errorf("%s imports %s: only internal/app wires adapters and the store", p.ImportPath, d)
			}
			if d == testSupport {
				t.Errorf("%s imports %s, which is for _test.go files only", p.ImportPath, d)
			}
			if d == "carenet/internal/app" && !strings.HasPrefix(p.ImportPath, "carenet/cmd/") {
				t.Errorf("%s imports internal/app: only cmd/ may", p.ImportPath)
			}
		}
	}
}

// testSupport builds a real core for tests (internal/bottest): it wires
// the store like internal/app does, and only test files may import it.
const testSupport = "carenet/internal/bottest"

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// TestPackageDocs fails when a package has no doc comment saying its job.
func TestPackageDocs(t *testing.T) {
	for _, p := range listPackages(t) {
		documented := false
		fset := token.NewFileSet()
		for _, f := range p.GoFiles {
			af, err := parser.ParseFile(fset, filepath.Join(p.Dir, f), nil, parser.PackageClauseOnly|parser.ParseComments)
			if err != nil {
				t.Fatal(err)
			}
			if af.Doc != nil && len(strings.TrimSpace(af.Doc.Text())) > 20 {
				documented = true
			}
		}
		if !documented {
			t.Errorf("package %s has no doc comment", p.ImportPath)
		}
	}
}
