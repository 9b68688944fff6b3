// Package doccheck keeps the documents true to the repository: every
// reference in code comments and Markdown leads to something a reader
// who has only the repository can open (refs_test.go), the README's
// settings tables list what the code has (settings_test.go), and the
// OpenAPI job phases are the ones jobs report (phases_test.go). It has
// test files only.
package doccheck

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// repoRoot is the module root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	return root
}

// source is one file to check: its path relative to the repository root
// (slashes) and its text.
type source struct {
	path string
	text string
}

// sources reads every .go and .md file of the repository but hidden
// directories and this package (which must spell the patterns it looks
// for).
func sources(t *testing.T, root string) []source {
	t.Helper()
	var out []source
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || rel == "internal/doccheck" || d.Name() == "hvport-data") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") && !strings.HasSuffix(rel, ".md") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, source{rel, string(b)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A repository is a set of files: fileExists and markdown answer from it,
// so that the checks run on a real tree and on a made-up one alike.
type repository interface {
	// exists reports whether the path (relative to the root, slashes)
	// is a file or a directory.
	exists(path string) bool
	// markdown is the text of a Markdown file, ok false if there is none.
	markdown(path string) (text string, ok bool)
}

type dirRepo string

func (r dirRepo) exists(p string) bool {
	_, err := os.Stat(filepath.Join(string(r), filepath.FromSlash(p)))
	return err == nil
}

func (r dirRepo) markdown(p string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(string(r), filepath.FromSlash(p)))
	return string(b), err == nil
}

var (
	// References to documents kept outside the repository: the Hyper-V
	// facts file under any spelling, its "facts §n" citations, and the
	// shared reference folder it lived in.
	outsideRefs = []*regexp.Regexp{
		regexp.MustCompile(`hyperv-wmi-facts`),
		regexp.MustCompile(`facts\s*(//)?\s*§`),
		regexp.MustCompile(`shared/reference/`),
	}
	// A section sign must say which document it cites: RFC 9110 §14,
	// DSP0004 §5, MS-VHDX §2.2. A bare "§2.4" cited the facts file.
	sectionSign  = regexp.MustCompile(`§`)
	namedSection = regexp.MustCompile(`(RFC \d+|DSP\d+|MS-[A-Z]+) ?§$`)
	// docs/NAME.md#anchor, and further anchors of the same document in a
	// list: "docs/HYPERV.md#jobs, #uncertain".
	docRef = regexp.MustCompile(`docs/([A-Za-z0-9_-]+\.md)((?:#[A-Za-z0-9_-]+)(?:,\s*#[A-Za-z0-9_-]+)*)?`)
	anchor = regexp.MustCompile(`#([A-Za-z0-9_-]+)`)
	// Markdown links and their targets.
	mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// Explicit anchors in Markdown.
	explicitID = regexp.MustCompile(`\bid="([^"]+)"`)
	heading    = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*\s*$`)
	htmlTag    = regexp.MustCompile(`<[^>]*>`)
)

// anchors lists the anchors a Markdown text defines: explicit id="…"
// attributes and GitHub's heading slugs (lower case, punctuation dropped,
// spaces turned into hyphens, -1, -2 … for repeats). Fenced code is
// skipped.
func anchors(md string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	fenced := false
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		for _, m := range explicitID.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		text := strings.ToLower(htmlTag.ReplaceAllString(m[1], ""))
		var b strings.Builder
		for _, r := range strings.TrimSpace(text) {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r > 127:
				b.WriteRune(r)
			}
		}
		slug := b.String()
		if n := seen[slug]; n > 0 {
			out[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	return out
}

// check returns what is wrong with one file's references.
func check(repo repository, s source) []string {
	var bad []string
	lineOf := func(off int) int { return strings.Count(s.text[:off], "\n") + 1 }
	report := func(off int, format string, args ...any) {
		bad = append(bad, fmt.Sprintf("%s:%d: %s", s.path, lineOf(off), fmt.Sprintf(format, args...)))
	}
	for _, re := range outsideRefs {
		for _, m := range re.FindAllStringIndex(s.text, -1) {
			report(m[0], "%q refers to a document outside the repository; cite docs/HYPERV.md#<anchor> or the public source", s.text[m[0]:m[1]])
		}
	}
	for _, m := range sectionSign.FindAllStringIndex(s.text, -1) {
		start := max(0, m[0]-16)
		if !namedSection.MatchString(s.text[start:m[1]]) {
			report(m[0], "a bare § does not say which document it cites; write docs/HYPERV.md#<anchor> (or RFC n §x)")
		}
	}
	for _, m := range docRef.FindAllStringSubmatchIndex(s.text, -1) {
		doc := "docs/" + s.text[m[2]:m[3]]
		text, ok := repo.markdown(doc)
		if !ok {
			report(m[0], "%s does not exist", doc)
			continue
		}
		if m[4] < 0 {
			continue
		}
		defined := anchors(text)
		for _, a := range anchor.FindAllStringSubmatch(s.text[m[4]:m[5]], -1) {
			if !defined[a[1]] {
				report(m[0], "%s has no anchor #%s", doc, a[1])
			}
		}
	}
	if strings.HasSuffix(s.path, ".md") {
		bad = append(bad, checkLinks(repo, s, lineOf)...)
	}
	return bad
}

// checkLinks checks a Markdown file's relative links: the file (or
// directory) exists, and so does the anchor in a Markdown target.
func checkLinks(repo repository, s source, lineOf func(int) int) []string {
	var bad []string
	dir := pathDir(s.path)
	fenced := false
	off := 0
	for _, line := range strings.SplitAfter(s.text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
		}
		if !fenced {
			for _, m := range mdLink.FindAllStringSubmatchIndex(line, -1) {
				target := line[m[2]:m[3]]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				file, frag, _ := strings.Cut(target, "#")
				p := s.path
				if file != "" {
					p = cleanJoin(dir, file)
					if !repo.exists(p) {
						bad = append(bad, fmt.Sprintf("%s:%d: link to %s: no such file in the repository", s.path, lineOf(off+m[0]), target))
						continue
					}
				}
				if frag == "" || !strings.HasSuffix(p, ".md") {
					continue
				}
				text := s.text
				if file != "" {
					text, _ = repo.markdown(p)
				}
				if !anchors(text)[frag] {
					bad = append(bad, fmt.Sprintf("%s:%d: link to %s: %s has no anchor #%s", s.path, lineOf(off+m[0]), target, p, frag))
				}
			}
		}
		off += len(line)
	}
	return bad
}

func pathDir(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[:i]
	}
	return ""
}

// cleanJoin joins a relative link to the linking file's directory; a
// link that climbs out of the repository keeps its leading "..", so no
// file matches it.
func cleanJoin(dir, rel string) string {
	parts := []string{}
	if dir != "" {
		parts = strings.Split(dir, "/")
	}
	for _, e := range strings.Split(rel, "/") {
		switch e {
		case "", ".":
		case "..":
			if len(parts) == 0 || parts[len(parts)-1] == ".." {
				parts = append(parts, "..")
			} else {
				parts = parts[:len(parts)-1]
			}
		default:
			parts = append(parts, e)
		}
	}
	return strings.Join(parts, "/")
}

// TestEveryReferenceIsInTheRepository fails on a reference a reader with
// only the repository cannot follow: the Hyper-V facts file that lived
// outside it (and its "§n" citations), a docs/*.md file or anchor that
// does not exist, or a relative Markdown link to a missing file or
// heading.
func TestEveryReferenceIsInTheRepository(t *testing.T) {
	root := repoRoot(t)
	repo := dirRepo(root)
	var bad []string
	for _, s := range sources(t, root) {
		bad = append(bad, check(repo, s)...)
	}
	for _, b := range bad {
		t.Error(b)
	}
}

// TestHyperVFactsAreCitedByAnchor: the facts the code relies on are in
// docs/HYPERV.md, each section with an explicit anchor, and the code
// cites them (so the check above has something to check).
func TestHyperVFactsAreCitedByAnchor(t *testing.T) {
	root := repoRoot(t)
	text, ok := dirRepo(root).markdown("docs/HYPERV.md")
	if !ok {
		t.Fatal("docs/HYPERV.md is missing")
	}
	defined := anchors(text)
	for _, a := range []string{"validation", "return-codes", "jobs", "embedded-instances", "export-layout", "uncertain", "sources"} {
		if !defined[a] {
			t.Errorf("docs/HYPERV.md has no anchor #%s", a)
		}
	}
	cited := 0
	for _, s := range sources(t, root) {
		cited += strings.Count(s.text, "docs/HYPERV.md#")
	}
	if cited < 50 {
		t.Errorf("only %d citations of docs/HYPERV.md#… in the code and docs; the facts are meant to be cited by anchor", cited)
	}
}

// memRepo is a made-up repository for the checker's own tests.
type memRepo map[string]string

func (r memRepo) exists(p string) bool {
	if _, ok := r[p]; ok {
		return true
	}
	for k := range r {
		if strings.HasPrefix(k, p+"/") {
			return true
		}
	}
	return false
}

func (r memRepo) markdown(p string) (string, bool) { s, ok := r[p]; return s, ok }

// TestCheckerFindsBrokenReferences runs the checker on made-up files, one
// broken reference of each kind and their correct twins, so that the
// check above cannot pass by finding nothing.
func TestCheckerFindsBrokenReferences(t *testing.T) {
	repo := memRepo{
		"docs/HYPERV.md": "# Facts\n\n## 2.6 Validation <a id=\"validation\"></a>\n\n### Waiting and cancelling\n\n```\n# not a heading\n```\n",
		"docs/OTHER.md":  "# Other\n",
		"client/api.go":  "package client\n",
	}
	cases := []struct {
		path, text string
		want       string // "" = no complaint
	}{
		{"a.go", "// see hyperv-wmi-facts.md §2.4\n", "outside the repository"},
		{"a.go", "// as the facts §6.9 say\n", "outside the repository"},
		{"a.go", "// (facts\n// §6.4)\n", "outside the repository"},
		{"a.go", "// shared/reference/security-anchors.md\n", "outside the repository"},
		{"a.go", "// the layout (§5.3)\n", "bare §"},
		{"a.go", "// ranges (RFC 9110 §14)\n", ""},
		{"a.go", "// docs/HYPERV.md#validation\n", ""},
		{"a.go", "// docs/HYPERV.md#waiting-and-cancelling\n", ""},
		{"a.go", "// docs/HYPERV.md#not-a-heading\n", "no anchor #not-a-heading"},
		{"a.go", "// docs/HYPERV.md#validation, #nowhere\n", "no anchor #nowhere"},
		{"a.go", "// docs/HYPERV.md#nowhere\n", "no anchor #nowhere"},
		{"a.go", "// docs/MISSING.md\n", "docs/MISSING.md does not exist"},
		{"docs/x.md", "[facts](HYPERV.md#validation) and [x](OTHER.md)\n", ""},
		{"docs/x.md", "[facts](HYPERV.md#gone)\n", "no anchor #gone"},
		{"docs/x.md", "[gone](GONE.md)\n", "no such file"},
		{"docs/x.md", "[up](../client/api.go) [web](https://example.com/x.md)\n", ""},
		{"docs/x.md", "[out](../../elsewhere.md)\n", "no such file"},
		{"README.md", "[client](client/) [self](#top)\n# Top\n", ""},
		{"README.md", "[self](#bottom)\n# Top\n", "no anchor #bottom"},
		{"README.md", "```\n[not a link](nowhere.md)\n```\n", ""},
	}
	for _, c := range cases {
		got := check(repo, source{c.path, c.text})
		switch {
		case c.want == "" && len(got) > 0:
			t.Errorf("%s %q: unexpected %v", c.path, c.text, got)
		case c.want != "" && !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, c.want) }):
			t.Errorf("%s %q: got %v, want a complaint containing %q", c.path, c.text, got, c.want)
		}
	}
}
