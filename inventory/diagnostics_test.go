package inventory

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"", "abc", 3}, {"abc", "", 3}, {"web", "web", 0},
		{"wbe", "web", 1}, {"wbe", "db", 2}, {"kitten", "sitting", 3},
		{"htps", "https", 1}, {"ab", "ba", 1}, {"ca", "abc", 3}, {"Grüße", "Grüsse", 2},
	} {
		if got := distance(c.a, c.b); got != c.want {
			t.Errorf("distance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"db", "dmz", "web", "smtp"}
	for given, want := range map[string]string{
		"wbe": "web", "WEB": "web", "smpt": "smtp", "dbb": "db", "mail": "", "web": "",
		"db1": "db", "application": "",
	} {
		if got := suggest(given, names); got != want {
			t.Errorf("suggest(%q) = %q, want %q", given, got, want)
		}
	}
}
