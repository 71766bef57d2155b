package dist

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Schema is the version of the task protocol: stream, bucket and object
// store names end in _V<Schema>, and every task carries it.
const Schema = 1

// Config says where the engine is and how tasks are delivered.
type Config struct {
	URL string // NATS server(s), e.g. nats://127.0.0.1:4222
	// Prefix starts every stream, consumer, bucket and subject name, so
	// that several deployments can share one NATS server.
	Prefix string
	// AckWait is how long a worker holds a task without a sign of life
	// before it goes to another worker; MaxDeliver how many times a task
	// is delivered before the run fails. Both are set when the consumer
	// is made (the first coordinator or worker to come) and read back
	// from it afterwards.
	AckWait    time.Duration
	MaxDeliver int
	// Version is the binary's version; a worker runs only tasks of its
	// own version.
	Version string
}

// ConfigFromEnv returns the configuration for url and version, with the
// defaults (prefix LIFECIRCLE, AckWait 30 s, MaxDeliver 5) or
// $LIFECIRCLE_NATS_PREFIX, $LIFECIRCLE_NATS_ACK_WAIT (a duration, e.g.
// 10s) and $LIFECIRCLE_NATS_MAX_DELIVER.
func ConfigFromEnv(url, version string) (Config, error) {
	c := Config{URL: url, Prefix: "LIFECIRCLE", AckWait: 30 * time.Second, MaxDeliver: 5, Version: version}
	if v := os.Getenv("LIFECIRCLE_NATS_PREFIX"); v != "" {
		c.Prefix = v
	}
	if v := os.Getenv("LIFECIRCLE_NATS_ACK_WAIT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return c, fmt.Errorf("LIFECIRCLE_NATS_ACK_WAIT=%q: want a duration of at least 1s, e.g. 30s", v)
		}
		c.AckWait = d
	}
	if v := os.Getenv("LIFECIRCLE_NATS_MAX_DELIVER"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c, fmt.Errorf("LIFECIRCLE_NATS_MAX_DELIVER=%q: want a whole number of at least 1", v)
		}
		c.MaxDeliver = n
	}
	return c, nil
}

// OpenEnv opens the engine at url with ConfigFromEnv's settings.
func OpenEnv(ctx context.Context, url, version, name string) (*Engine, error) {
	c, err := ConfigFromEnv(url, version)
	if err != nil {
		return nil, err
	}
	return Open(ctx, c, name)
}

var prefixRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Engine is a connection to NATS JetStream with lifecircle's stream,
// consumer, bucket and object stores.
type Engine struct {
	Config
	NC      *nats.Conn
	JS      jetstream.JetStream
	Stream  jetstream.Stream
	Cons    jetstream.Consumer
	KV      jetstream.KeyValue
	Inputs  jetstream.ObjectStore
	Results jetstream.ObjectStore
}

// Names of the engine objects.
func (c Config) streamName() string   { return fmt.Sprintf("%s_TASKS_V%d", c.Prefix, Schema) }
func (c Config) consumerName() string { return fmt.Sprintf("%s_WORKERS_V%d", c.Prefix, Schema) }
func (c Config) subject(run string) string {
	return fmt.Sprintf("%s.v%d.tasks.%s", c.Prefix, Schema, run)
}
func (c Config) streamDescription() string {
	return fmt.Sprintf("lifecircle tasks, schema %d", Schema)
}

// Open connects to NATS at c.URL and makes (or checks) the stream, the
// consumer, the bucket and the object stores. name names the connection
// (coordinator, worker).
func Open(ctx context.Context, c Config, name string) (*Engine, error) {
	if !prefixRe.MatchString(c.Prefix) {
		return nil, fmt.Errorf("NATS name prefix %q: use 1 to 32 letters, digits, _ or -", c.Prefix)
	}
	nc, err := nats.Connect(c.URL, nats.Name("lifecircle "+name), nats.Timeout(3*time.Second),
		nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
	if err != nil {
		return nil, fmt.Errorf("cannot reach NATS at %s: %v — start a NATS server with JetStream (nats-server -js) there, or give its address (nats://HOST:4222) / 无法连接 NATS 服务器", c.URL, err)
	}
	e := &Engine{Config: c, NC: nc}
	if err := e.open(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return e, nil
}

// Close closes the connection.
func (e *Engine) Close() { e.NC.Close() }

func (e *Engine) open(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	js, err := jetstream.New(e.NC)
	if err != nil {
		return err
	}
	e.JS = js
	if _, err := js.AccountInfo(ctx); err != nil {
		return fmt.Errorf("NATS at %s has no JetStream (%v): start the server with JetStream enabled (nats-server -js, or jetstream.enabled in the Helm chart)", e.URL, err)
	}
	if err := e.openStream(ctx); err != nil {
		return err
	}
	if e.KV, err = e.bucket(ctx); err != nil {
		return err
	}
	if e.Inputs, err = e.objects(ctx, fmt.Sprintf("%s_INPUTS_V%d", e.Prefix, Schema), "lifecircle input files by SHA-256"); err != nil {
		return err
	}
	e.Results, err = e.objects(ctx, fmt.Sprintf("%s_RESULTS_V%d", e.Prefix, Schema), "lifecircle task results by run/task/digest")
	return err
}

func (e *Engine) openStream(ctx context.Context) error {
	name := e.streamName()
	st, err := e.JS.Stream(ctx, name)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		st, err = e.JS.CreateStream(ctx, jetstream.StreamConfig{
			Name: name, Description: e.streamDescription(),
			Subjects:  []string{fmt.Sprintf("%s.v%d.tasks.>", e.Prefix, Schema)},
			Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
			Duplicates: 10 * time.Minute, MaxAge: 14 * 24 * time.Hour,
		})
		if err != nil {
			// Another process made it at the same time.
			var gerr error
			if st, gerr = e.JS.Stream(ctx, name); gerr != nil {
				return fmt.Errorf("create stream %s: %w", name, err)
			}
		}
	case err != nil:
		return fmt.Errorf("stream %s: %w", name, err)
	}
	cfg := st.CachedInfo().Config
	if cfg.Description != e.streamDescription() || cfg.Retention != jetstream.WorkQueuePolicy {
		return fmt.Errorf("stream %s on %s is not a lifecircle task stream of schema %d (it says %q, retention %s): another lifecircle version or another program made it — set LIFECIRCLE_NATS_PREFIX to another prefix, or delete the stream once no run uses it (nats stream rm %s) / 任务流版本不符",
			name, e.URL, Schema, cfg.Description, cfg.Retention, name)
	}
	e.Stream = st
	cons, err := st.Consumer(ctx, e.consumerName())
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		cons, err = st.CreateConsumer(ctx, jetstream.ConsumerConfig{
			Durable: e.consumerName(), Description: fmt.Sprintf("lifecircle workers, schema %d", Schema),
			AckPolicy: jetstream.AckExplicitPolicy, AckWait: e.AckWait, MaxDeliver: e.MaxDeliver,
			MaxAckPending: -1, FilterSubject: fmt.Sprintf("%s.v%d.tasks.>", e.Prefix, Schema),
		})
		if err != nil {
			if c, gerr := st.Consumer(ctx, e.consumerName()); gerr == nil {
				cons, err = c, nil
			}
		}
	}
	if err != nil {
		return fmt.Errorf("consumer %s: %w", e.consumerName(), err)
	}
	e.Cons = cons
	cc := cons.CachedInfo().Config
	e.AckWait, e.MaxDeliver = cc.AckWait, cc.MaxDeliver
	if e.MaxDeliver <= 0 {
		return fmt.Errorf("consumer %s delivers without limit (MaxDeliver %d): a task that always fails would never fail its run — delete the consumer (nats consumer rm %s %s)", e.consumerName(), cc.MaxDeliver, name, e.consumerName())
	}
	return nil
}

func (e *Engine) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	name := fmt.Sprintf("%s_RUNS_V%d", e.Prefix, Schema)
	kv, err := e.JS.KeyValue(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = e.JS.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: name, Description: "lifecircle runs and task states", History: 1, Storage: jetstream.FileStorage})
		if err != nil {
			if k, gerr := e.JS.KeyValue(ctx, name); gerr == nil {
				kv, err = k, nil
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("key-value bucket %s: %w", name, err)
	}
	return kv, nil
}

func (e *Engine) objects(ctx context.Context, name, desc string) (jetstream.ObjectStore, error) {
	obs, err := e.JS.ObjectStore(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) || errors.Is(err, jetstream.ErrStreamNotFound) {
		// Objects left by runs that never ended go after two weeks.
		obs, err = e.JS.CreateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: name, Description: desc, Storage: jetstream.FileStorage, TTL: 14 * 24 * time.Hour})
		if err != nil {
			if o, gerr := e.JS.ObjectStore(ctx, name); gerr == nil {
				obs, err = o, nil
			}
		}
	}
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", name, err)
	}
	return obs, nil
}
