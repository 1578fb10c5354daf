package content

import (
	"context"
	"strings"
	"testing"
	"time"
)

// settings is the one store sealing secrets uses: the installation's
// key. UseNonce is not reached.
type settings struct {
	InstallationStore
	values map[string]string
}

func (s *settings) SettingOrCreate(_ context.Context, key, value string) (string, error) {
	if v, ok := s.values[key]; ok {
		return v, nil
	}
	s.values[key] = value
	return value, nil
}

func TestSecretsAreSealedToTheirWebhookAndInstallation(t *testing.T) {
	ctx := context.Background()
	svc := NewService(Stores{Installation: &settings{values: map[string]string{}}}, Config{})
	sealed, err := svc.sealSecret(ctx, "rebuild", "whsec_abc")
	if err != nil || !strings.HasPrefix(sealed, sealPrefix) || strings.Contains(sealed, "abc") {
		t.Fatalf("sealed %q (%v)", sealed, err)
	}
	if got, err := svc.openSecret(ctx, "rebuild", sealed); got != "whsec_abc" || err != nil {
		t.Fatalf("opened %q (%v)", got, err)
	}
	other := NewService(Stores{Installation: &settings{values: map[string]string{}}}, Config{})
	cases := []struct{ name, id, sealed string }{
		{"under another webhook's id", "index", sealed},
		{"tampered with", "rebuild", sealed[:len(sealed)-2] + "AA"},
		{"not sealed", "rebuild", "whsec_abc"},
	}
	for _, c := range cases {
		if _, err := svc.openSecret(ctx, c.id, c.sealed); err == nil {
			t.Errorf("%s: opened", c.name)
		}
	}
	if _, err := other.openSecret(ctx, "rebuild", sealed); err == nil {
		t.Error("another installation's key opened it")
	}
}

func TestRetryWaitsDouble(t *testing.T) {
	p := DeliveryPolicy{FirstRetry: time.Second, MaxRetry: 5 * time.Second}.withDefaults()
	for attempts, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 5 * time.Second, 60: 5 * time.Second} {
		if got := p.wait(attempts); got != want {
			t.Errorf("after %d attempts, wait %v, want %v", attempts, got, want)
		}
	}
	if d := (DeliveryPolicy{}).withDefaults(); d.wait(1) != 10*time.Second || d.GiveUp != 24*time.Hour {
		t.Errorf("defaults: %+v", d)
	}
}
