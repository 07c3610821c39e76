package storage

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/couture/couture/inbox"
	bolt "go.etcd.io/bbolt"
)

// The full-text index lives in its own directory beside the store. It holds
// message text only and remembers, as a watermark, the highest message ID it
// has indexed: message IDs only grow, so catching up is one cursor seek, and
// deleting the directory rebuilds the index from the store. Writers never
// wait for it; it is poked after every commit and catches up in batches.
type indexer struct {
	store *Store
	index bleve.Index
	mu    sync.Mutex // one catch-up at a time
	wm    inbox.MessageID
	poked chan struct{}
	stop  chan struct{}
	done  chan struct{}
	err   error // last background error, for Search to report
}

const (
	fieldBody      = "body"
	internalWM     = "watermark"
	indexBatchSize = 2000
)

func indexMapping() mapping.IndexMapping {
	m := bleve.NewIndexMapping()
	// Accents folded and lower-cased, no stemming: customers write in
	// French and English in the same inbox, and "gâteau" must find "gateau".
	if err := m.AddCustomAnalyzer("folded", map[string]any{
		"type":          custom.Name,
		"char_filters":  []string{asciifolding.Name},
		"tokenizer":     unicode.Name,
		"token_filters": []string{lowercase.Name},
	}); err != nil {
		panic(err) // the mapping is a constant; a failure is a programming error
	}
	body := bleve.NewTextFieldMapping()
	body.Analyzer = "folded"
	body.Store = false
	body.IncludeTermVectors = false
	body.IncludeInAll = false
	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fieldBody, body)
	m.DefaultMapping = doc
	m.DefaultAnalyzer = "folded"
	return m
}

func openIndexer(path string, s *Store) (*indexer, error) {
	idx, err := bleve.Open(path)
	if err != nil {
		if !errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
			// Damaged or from an incompatible version: it is only a cache
			// of the store, so rebuild it.
			s.log.Warn("rebuilding the search index", "path", path, "err", err)
			if rerr := os.RemoveAll(path); rerr != nil {
				return nil, inbox.Wrap(inbox.Unavailable, rerr, "cannot remove the damaged search index "+path)
			}
		}
		if idx, err = bleve.New(path, indexMapping()); err != nil {
			return nil, inbox.Wrap(inbox.Unavailable, err, "cannot create the search index "+path)
		}
	}
	ix := &indexer{store: s, index: idx, poked: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if raw, err := idx.GetInternal([]byte(internalWM)); err == nil && len(raw) == 8 {
		ix.wm = inbox.MessageID(binary.BigEndian.Uint64(raw))
	}
	go ix.run()
	ix.poke()
	return ix, nil
}

func (ix *indexer) poke() {
	select {
	case ix.poked <- struct{}{}:
	default:
	}
}

func (ix *indexer) run() {
	defer close(ix.done)
	for {
		select {
		case <-ix.stop:
			return
		case <-ix.poked:
			if err := ix.catchUp(ix.stop); err != nil {
				ix.store.log.Error("indexing", "err", err)
			}
		}
	}
}

// close stops the background loop and closes the index. What is not
// indexed yet is indexed at the next open.
func (ix *indexer) close() {
	close(ix.stop)
	<-ix.done
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.index.Close()
}

// catchUp indexes every message above the watermark, a batch at a time,
// until there is none left or stop closes.
func (ix *indexer) catchUp(stop <-chan struct{}) error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		n, err := ix.batch()
		ix.err = err
		if err != nil || n == 0 {
			return err
		}
	}
}

// batch indexes up to indexBatchSize messages after the watermark.
func (ix *indexer) batch() (int, error) {
	b := ix.index.NewBatch()
	last := ix.wm
	n := 0
	err := ix.store.view(func(tx *bolt.Tx) error {
		cur := tx.Bucket(bMessages).Cursor()
		for k, v := cur.Seek(u64(uint64(ix.wm) + 1)); k != nil && n < indexBatchSize; k, v = cur.Next() {
			n++
			last = inbox.MessageID(binary.BigEndian.Uint64(k))
			var m inbox.Message
			if err := decodeMessage(v, &m); err != nil {
				return fmt.Errorf("decode message %d: %w", last, err)
			}
			if m.Direction == inbox.Event {
				continue
			}
			body := m.Subject + "\n" + m.FromName + "\n" + m.Text
			if err := b.Index(docID(m.ID), map[string]any{fieldBody: body}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || n == 0 {
		return 0, err
	}
	b.SetInternal([]byte(internalWM), u64(uint64(last)))
	if err := ix.index.Batch(b); err != nil {
		return 0, fmt.Errorf("index messages up to %d: %w", last, err)
	}
	ix.wm = last
	return n, nil
}

func docID(id inbox.MessageID) string { return strconv.FormatUint(uint64(id), 10) }

// WaitIndexed catches the full-text index up with the store now.
func (s *Store) WaitIndexed(ctx context.Context) error {
	if s.index == nil {
		return nil
	}
	return s.index.catchUp(ctx.Done())
}

// Search implements inbox.Store. It first catches the index up, so a
// message written before the call is found.
func (s *Store) Search(ctx context.Context, q string, limit int) ([]inbox.Hit, error) {
	if s.index == nil {
		return nil, inbox.Errorf(inbox.Unavailable, "search is turned off for this store")
	}
	if err := s.index.catchUp(ctx.Done()); err != nil {
		return nil, inbox.Wrap(inbox.Unavailable, err, "the search index cannot be updated")
	}
	mq := bleve.NewMatchQuery(q)
	mq.SetField(fieldBody)
	mq.SetOperator(query.MatchQueryOperatorAnd)
	req := bleve.NewSearchRequestOptions(mq, limit, 0, false)
	res, err := s.index.index.SearchInContext(ctx, req)
	if err != nil {
		return nil, inbox.Wrap(inbox.Unavailable, err, "the search failed")
	}
	terms := strings.Fields(strings.ToLower(q))
	hits := make([]inbox.Hit, 0, len(res.Hits))
	err = s.view(func(tx *bolt.Tx) error {
		t := newTxn(tx, zeroTime)
		for _, h := range res.Hits {
			id, err := strconv.ParseUint(h.ID, 10, 64)
			if err != nil {
				continue
			}
			m, err := t.message(inbox.MessageID(id))
			if inbox.ErrorCode(err) == inbox.NotFound {
				continue // deleted since it was indexed
			}
			if err != nil {
				return err
			}
			hits = append(hits, inbox.Hit{
				MessageID: m.ID, CustomerID: m.CustomerID, Channel: m.Channel,
				SentAt: m.SentAt, Snippet: snippet(m, terms), Score: h.Score,
			})
		}
		return nil
	})
	return hits, err
}

// snippet returns about 160 characters of the message around the first
// query term found in it.
func snippet(m *inbox.Message, terms []string) string {
	text := strings.Join(strings.Fields(m.Subject+" — "+m.Text), " ")
	lower := strings.ToLower(text)
	at := -1
	for _, t := range terms {
		if i := strings.Index(lower, t); i >= 0 && (at < 0 || i < at) {
			at = i
		}
	}
	const before, width = 60, 160
	start := 0
	if at > before && at < len(text) {
		start = at - before
		for start < len(text) && !utf8.RuneStart(text[start]) {
			start++
		}
	}
	end := min(len(text), start+width)
	for end < len(text) && !utf8.RuneStart(text[end]) {
		end++
	}
	out := text[start:end]
	if start > 0 {
		out = "…" + out
	}
	if end < len(text) {
		out += "…"
	}
	return out
}
