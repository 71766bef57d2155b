// Package dist runs lifecircle's work on NATS JetStream: a coordinator
// (RunBatch, for `audit --batch FILE --distributed URL`; Shards, the
// study.ShardRunner of `audit --distributed URL`) publishes one task per
// batch entry or per shard on a work-queue stream, and workers (Worker,
// for `lifecircle worker --nats URL`) pull them, keep their lease alive
// with InProgress while they work, store each result and then
// acknowledge. StartLocal starts workers of this binary on this machine,
// on an embedded NATS server when none is given (`audit --workers N`),
// each with GOMAXPROCS = cores ÷ N: a worker's unit is its share of the
// cores, as a pod's is its CPU request.
//
// A shard task (shards.go) names its part in the inputs store: the file
// study.ShardPlan.WritePart writes (the core's demand points, the edges
// and facilities within its halo, the search settings; the network in
// geo's bit-exact binary encoding), under its SHA-256: the worker checks
// that the digest the store keeps is that name, and the store checks the
// content against it as the worker reads (one hash, not two). Its result
// is a study.ShardResult (per-point snaps, distances and nearest
// facilities in the study's numbering)
// under RUN/TASK/DIGEST; the coordinator reads one result per task,
// checks it against its plan and merges the results in plan order, so a
// redelivered or duplicated shard is merged once.
//
// Engine objects, all named with the prefix (LIFECIRCLE, or
// $LIFECIRCLE_NATS_PREFIX) and the schema version (V1):
//
//   - stream PREFIX_TASKS_V1 (subjects PREFIX.v1.tasks.RUN, work-queue
//     retention, file storage) and its durable pull consumer
//     PREFIX_WORKERS_V1 (explicit acks, AckWait, MaxDeliver);
//   - key-value bucket PREFIX_RUNS_V1: run.RUN is a run's manifest and
//     task.RUN.TASK a task's state (pending, running, error, done, failed,
//     refused), which the coordinator watches and Status reads;
//   - object store PREFIX_INPUTS_V1: the input files and shard parts,
//     each named by the SHA-256 of its content, so no shared file system
//     is needed and a file used by many entries or runs is sent once;
//   - object store PREFIX_RESULTS_V1: a batch task's output folder and
//     row as a tar archive, or a shard task's result, named
//     RUN/TASK/DIGEST, DIGEST being the SHA-256 of the task itself (its
//     settings and the digests of its inputs).
//
// Exactly once in effect: a task may be delivered more than once (a worker
// died, its lease expired, a message was sent twice). A worker first looks
// for the task's result under its key and only acknowledges when it is
// there; storing a result replaces the object of the same key, so a second
// delivery never doubles anything, and the coordinator reads one result
// per task.
//
// The worker reads its copies of the inputs in a folder of its own; every
// output that names such a copy is rewritten to name the coordinator's
// path, and a worker refuses to return an output in which a name of its
// own folder is left (never a silently different output). The outputs of
// a distributed batch are thus those of a local `audit --batch`, byte for
// byte, but for the fields that differ between two local runs anyway:
// "created" and "timings_s" in summary.json, the creation time and the
// timings table of report.html, and "created" and "elapsed_s" in batch_summary.json and
// elapsed_s in batch_summary.csv.
//
// Versions: every task carries the schema and the binary version of its
// coordinator. A worker of another version does not run it: it records
// why in the task's state (which the coordinator prints) and gives the
// task back, so that a worker of the right version may take it; after
// MaxDeliver refusals the run fails with that reason. A stream of the
// same name made by another schema or program is refused with a message
// naming it.
//
// Proposals (propose.go, propose --distributed): RunPropose plans the
// study's shards (study.PlanProposal), sends each shard's part (its
// network in geo's binary form, its core's demand points, the candidates
// within its halo) to the inputs store by SHA-256 and publishes one task
// of kind "cover" per shard; a worker stores the shard's coverage sets as
// its result, and the coordinator merges them by shard (a result read once
// per task, a shard added once) and solves once.
//
// Team mode (dbstore.go, worker --db URL): a worker also stores each batch
// entry's audit in the PostGIS project of the entry's name, under the
// task's key RUN/TASK/DIGEST (runs.task_key, unique): a task delivered
// again after its run was committed finds the run and writes no second.
//
// A task that fails MaxDeliver times (its worker returned an error each
// time, or died) fails the run with the task's last error; an entry whose
// audit fails normally (a missing extract, bad settings) is a failed row,
// exactly as in a local batch.
package dist
