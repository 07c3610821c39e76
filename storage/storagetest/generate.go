package storagetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/couture/couture/inbox"
)

// Corpus is a deterministic generator of realistic inbox traffic for
// benchmarks and large-store tests: customers on every channel, a skewed
// number of messages each (a few customers have thousands), French and
// English text from a small-business vocabulary.
type Corpus struct {
	Customers int
	Messages  int
	// Largest is how many messages the busiest customer (customer 1) has.
	Largest int
	Seed    uint64
	// Start is the time of the oldest message; messages are spread over a year.
	Start time.Time
}

var words = strings.Fields(`bonjour merci commande gâteau chocolat livraison samedi dimanche
	retard facture allergie gluten boulangerie croissant baguette tarte anniversaire mariage
	devis traiteur horaires ouvert fermé adresse carte fidélité remboursement annulation
	hello thanks order cake delivery saturday sunday late invoice allergy bread pastry
	birthday wedding quote catering opening hours address loyalty card refund cancel
	please could would tomorrow today morning afternoon pickup shop lyon price vegan
	nuts milk eggs sugar strawberry raspberry lemon vanilla caramel pistachio hazelnut`)

// Batches calls fn with batches of at most size incoming messages until the
// corpus is exhausted, in time order per customer.
func (c Corpus) Batches(size int, fn func([]inbox.Incoming) error) error {
	r := rand.New(rand.NewPCG(c.Seed, c.Seed^0x9e3779b97f4a7c15))
	if c.Start.IsZero() {
		c.Start = time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	}
	step := 365 * 24 * time.Hour / time.Duration(max(c.Messages, 1))
	batch := make([]inbox.Incoming, 0, size)
	for i := range c.Messages {
		cust := 1 + r.IntN(c.Customers)
		if i < c.Largest {
			cust = 0 // the busiest customer
		}
		ch := inbox.Channels[cust%len(inbox.Channels)]
		dir := inbox.In
		if r.IntN(3) == 0 {
			dir = inbox.Out
		}
		n := 6 + r.IntN(30)
		var sb strings.Builder
		for j := range n {
			if j > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(words[r.IntN(len(words))])
		}
		m := inbox.Message{
			Channel: ch, Direction: dir, Party: party(ch, cust),
			ExternalID: fmt.Sprintf("gen-%d", i), Text: sb.String(),
			SentAt: c.Start.Add(time.Duration(i) * step), State: inbox.StateNone,
		}
		if dir == inbox.Out {
			m.State = inbox.StateSent
		}
		if ch == inbox.ChannelEmail {
			m.Subject = "Commande " + words[r.IntN(len(words))]
		}
		batch = append(batch, inbox.Incoming{Message: m, Name: fmt.Sprintf("Client %d", cust)})
		if len(batch) == size {
			if err := fn(batch); err != nil {
				return err
			}
			batch = make([]inbox.Incoming, 0, size)
		}
	}
	if len(batch) > 0 {
		return fn(batch)
	}
	return nil
}

func party(ch inbox.ChannelKind, cust int) inbox.Identity {
	switch ch {
	case inbox.ChannelEmail:
		return inbox.Identity{Kind: inbox.KindEmail, Address: fmt.Sprintf("client%d@example.org", cust)}
	case inbox.ChannelSMS, inbox.ChannelWhatsApp:
		return inbox.Identity{Kind: inbox.KindPhone, Address: fmt.Sprintf("+3361%07d", cust)}
	case inbox.ChannelTelegram:
		return inbox.Identity{Kind: inbox.KindTelegram, Address: fmt.Sprint(100000 + cust)}
	default:
		return inbox.Identity{Kind: inbox.KindMatrix, Address: fmt.Sprintf("@client%d:example.org", cust)}
	}
}

// Fill ingests the corpus into desk in batches of 5,000 messages.
func (c Corpus) Fill(ctx context.Context, desk *inbox.Desk) error {
	return c.Batches(5000, func(b []inbox.Incoming) error {
		_, err := desk.Ingest(ctx, inbox.Batch{Account: "gen", Messages: b})
		return err
	})
}
