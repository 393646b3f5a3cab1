/* The thread pool behind mlc_exec_context.parallel_for. */
#include "internal.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// Generated code reads the context at fixed offsets (artifact_format.h).
_Static_assert(offsetof(mlc_exec_context, num_threads) == 4,
               "mlc_exec_context.num_threads moved");
_Static_assert(sizeof(void *) != 8 || offsetof(mlc_exec_context, pool) == 8,
               "mlc_exec_context.pool moved");
_Static_assert(sizeof(void *) != 8 ||
                   offsetof(mlc_exec_context, parallel_for) == 16,
               "mlc_exec_context.parallel_for moved");

/// How long an idle worker polls for new work before it sleeps, and how long
/// a caller polls for its last chunks before it sleeps. Kernels come back to
/// back within a run, so a short poll saves a futex wake-up per loop.
#define MLC_SPIN_NANOSECONDS 100000

/// Chunks per thread a parallel_for is split into (see below).
#define MLC_CHUNKS_PER_THREAD 4

/// One parallel_for call. Lives on the caller's stack; workers touch it only
/// while holding the pool lock, so it may vanish once the caller returns.
///
/// The chunks are split into one contiguous home range per thread (slot 0
/// the caller, slot w+1 worker w). A thread claims its own range in order,
/// then steals from the end of the range with the most chunks left. So the
/// loops of one run give each thread about the same rows of every buffer
/// (an im2col's rows, then the GEMM tiles that read them, then the
/// epilogue), which stay in that core's cache instead of moving between
/// cores; and a worker slow to start still has its share taken over.
typedef struct mlc_job {
  mlc_task_fn fn;
  void *args;
  int64_t count;        ///< Iterations in all.
  int64_t num_chunks;   ///< Ranges the iterations are split into.
  int32_t num_slots;    ///< Home ranges (threads, at most num_chunks).
  int64_t claimed;      ///< Chunks claimed so far (under the lock).
  int64_t *lo;          ///< Per slot: next unclaimed chunk of its range.
  int64_t *hi;          ///< Per slot: end of its unclaimed chunks.
  atomic_llong done;    ///< Chunks finished (written under the lock).
  struct mlc_job *next; ///< Next job with unclaimed chunks.
} mlc_job;

/// What a worker thread starts with.
typedef struct mlc_worker {
  struct mlc_pool *pool;
  int32_t slot; ///< Its home range in every job: worker index + 1.
} mlc_worker;

struct mlc_pool {
  pthread_mutex_t lock;
  pthread_cond_t work;     ///< Signalled when a job is queued or at shutdown.
  pthread_cond_t finished; ///< Broadcast when a job's last chunk finishes.
  mlc_job *jobs;           ///< Jobs with unclaimed chunks, oldest first.
  atomic_int queued;       ///< Number of jobs on the list (for polling).
  int sleepers;            ///< Workers waiting on `work`.
  int shutdown;
  int32_t num_workers;
  pthread_t *threads;
  mlc_worker *workers; ///< Start arguments of the threads.
};

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/// Iterations [begin, end) of chunk `c`: an even split, the first
/// count % num_chunks chunks one longer.
static void chunk_range(const mlc_job *job, int64_t c, int64_t *begin,
                        int64_t *end) {
  int64_t base = job->count / job->num_chunks;
  int64_t extra = job->count % job->num_chunks;
  *begin = c * base + (c < extra ? c : extra);
  *end = *begin + base + (c < extra ? 1 : 0);
}

/// Unlinks `job` from the queue. Caller holds the lock.
static void unlink_job(mlc_pool *pool, mlc_job *job) {
  mlc_job **link = &pool->jobs;
  while (*link != job)
    link = &(*link)->next;
  *link = job->next;
  atomic_fetch_sub_explicit(&pool->queued, 1, memory_order_relaxed);
}

/// Claims a chunk of `job` for the thread of `slot`: the next of its home
/// range, else the last of the range with the most left. The job must have
/// an unclaimed chunk; it leaves the queue with its last one. Caller holds
/// the lock.
static int64_t claim_chunk(mlc_pool *pool, mlc_job *job, int32_t slot) {
  int32_t s = slot % job->num_slots;
  int64_t chunk;
  if (job->lo[s] < job->hi[s]) {
    chunk = job->lo[s]++;
  } else {
    int32_t victim = 0;
    for (int32_t v = 1; v < job->num_slots; ++v)
      if (job->hi[v] - job->lo[v] > job->hi[victim] - job->lo[victim])
        victim = v;
    chunk = --job->hi[victim];
  }
  if (++job->claimed == job->num_chunks)
    unlink_job(pool, job);
  return chunk;
}

/// Claims a chunk of the oldest queued job for worker `slot`. Caller holds
/// the lock.
static mlc_job *claim(mlc_pool *pool, int32_t slot, int64_t *chunk) {
  mlc_job *job = pool->jobs;
  if (!job)
    return NULL;
  *chunk = claim_chunk(pool, job, slot);
  return job;
}

/// Records that one chunk of `job` finished. Caller holds the lock; after
/// it unlocks, `job` must not be touched.
static void finish_chunk(mlc_pool *pool, mlc_job *job) {
  long long done =
      atomic_fetch_add_explicit(&job->done, 1, memory_order_release) + 1;
  if (done == job->num_chunks)
    pthread_cond_broadcast(&pool->finished);
}

static void *worker_main(void *arg) {
  mlc_pool *pool = ((mlc_worker *)arg)->pool;
  int32_t slot = ((mlc_worker *)arg)->slot;
  pthread_mutex_lock(&pool->lock);
  for (;;) {
    int64_t chunk = 0;
    mlc_job *job = claim(pool, slot, &chunk);
    if (job) {
      mlc_task_fn fn = job->fn;
      void *args = job->args;
      int64_t begin, end;
      chunk_range(job, chunk, &begin, &end);
      pthread_mutex_unlock(&pool->lock);
      fn(args, begin, end);
      pthread_mutex_lock(&pool->lock);
      finish_chunk(pool, job);
      continue;
    }
    if (pool->shutdown)
      break;
    // Poll a little before sleeping: the next loop of the run is usually
    // microseconds away.
    pthread_mutex_unlock(&pool->lock);
    int64_t deadline = now_ns() + MLC_SPIN_NANOSECONDS;
    int polls = 0;
    while (atomic_load_explicit(&pool->queued, memory_order_relaxed) == 0) {
      cpu_relax();
      if (++polls % 64 == 0 && now_ns() > deadline)
        break;
    }
    pthread_mutex_lock(&pool->lock);
    if (!pool->jobs && !pool->shutdown) {
      ++pool->sleepers;
      pthread_cond_wait(&pool->work, &pool->lock);
      --pool->sleepers;
    }
  }
  pthread_mutex_unlock(&pool->lock);
  return NULL;
}

int32_t mlc_default_num_threads(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0)
      return n > MLC_MAX_THREADS ? MLC_MAX_THREADS : n;
  }
  return 1;
}

mlc_status mlc_pool_create(int32_t num_threads, mlc_pool **out) {
  *out = NULL;
  if (num_threads <= 1)
    return MLC_OK;
  mlc_pool *pool = calloc(1, sizeof(mlc_pool));
  if (!pool)
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "out of memory");
  pool->threads = calloc((size_t)num_threads - 1, sizeof(pthread_t));
  pool->workers = calloc((size_t)num_threads - 1, sizeof(mlc_worker));
  if (!pool->threads || !pool->workers) {
    free(pool->threads);
    free(pool->workers);
    free(pool);
    return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY, "out of memory");
  }
  pthread_mutex_init(&pool->lock, NULL);
  pthread_cond_init(&pool->work, NULL);
  pthread_cond_init(&pool->finished, NULL);
  atomic_init(&pool->queued, 0);
  for (int32_t i = 0; i < num_threads - 1; ++i) {
    pool->workers[i].pool = pool;
    pool->workers[i].slot = i + 1;
    if (pthread_create(&pool->threads[i], NULL, worker_main,
                       &pool->workers[i]) != 0) {
      mlc_pool_free(pool);
      return mlc_set_error(MLC_ERROR_OUT_OF_MEMORY,
                           "cannot start thread %d of %d", i + 2, num_threads);
    }
    pool->num_workers = i + 1;
  }
  *out = pool;
  return MLC_OK;
}

void mlc_pool_free(mlc_pool *pool) {
  if (!pool)
    return;
  pthread_mutex_lock(&pool->lock);
  pool->shutdown = 1;
  pthread_cond_broadcast(&pool->work);
  pthread_mutex_unlock(&pool->lock);
  for (int32_t i = 0; i < pool->num_workers; ++i)
    pthread_join(pool->threads[i], NULL);
  pthread_cond_destroy(&pool->finished);
  pthread_cond_destroy(&pool->work);
  pthread_mutex_destroy(&pool->lock);
  free(pool->threads);
  free(pool->workers);
  free(pool);
}

void mlc_pool_parallel_for(void *opaque, mlc_task_fn fn, void *args,
                           int64_t count) {
  mlc_pool *pool = opaque;
  if (count <= 0)
    return;
  int64_t threads = pool ? (int64_t)pool->num_workers + 1 : 1;
  if (count == 1 || threads == 1) {
    fn(args, 0, count);
    return;
  }
  mlc_job job;
  memset(&job, 0, sizeof(job));
  job.fn = fn;
  job.args = args;
  job.count = count;
  // Several chunks per thread, claimed dynamically: when a worker is slow
  // to start (the CPU is shared with another process), the caller and the
  // others take over its share instead of waiting for it.
  int64_t chunks = threads * MLC_CHUNKS_PER_THREAD;
  job.num_chunks = count < chunks ? count : chunks;
  job.num_slots =
      (int32_t)(threads < job.num_chunks ? threads : job.num_chunks);
  int64_t lo[MLC_MAX_THREADS], hi[MLC_MAX_THREADS];
  for (int32_t s = 0; s < job.num_slots; ++s) {
    lo[s] = job.num_chunks * s / job.num_slots;
    hi[s] = job.num_chunks * (s + 1) / job.num_slots;
  }
  job.lo = lo;
  job.hi = hi;
  atomic_init(&job.done, 0);

  pthread_mutex_lock(&pool->lock);
  mlc_job **tail = &pool->jobs;
  while (*tail)
    tail = &(*tail)->next;
  *tail = &job;
  atomic_fetch_add_explicit(&pool->queued, 1, memory_order_relaxed);
  if (pool->sleepers > 0)
    pthread_cond_broadcast(&pool->work);
  // The caller works on its own job only, so it always makes progress even
  // when every worker is busy with other callers' jobs.
  while (job.claimed < job.num_chunks) {
    int64_t chunk = claim_chunk(pool, &job, 0);
    int64_t begin, end;
    chunk_range(&job, chunk, &begin, &end);
    pthread_mutex_unlock(&pool->lock);
    fn(args, begin, end);
    pthread_mutex_lock(&pool->lock);
    finish_chunk(pool, &job);
  }
  pthread_mutex_unlock(&pool->lock);

  // Wait for chunks running on workers: poll briefly, then sleep. Workers
  // update `done` under the lock, and the final check below takes it, so no
  // worker still holds a reference to `job` when this returns.
  int64_t deadline = now_ns() + MLC_SPIN_NANOSECONDS;
  int polls = 0;
  while (atomic_load_explicit(&job.done, memory_order_acquire) <
         job.num_chunks) {
    cpu_relax();
    if (++polls % 64 == 0 && now_ns() > deadline)
      break;
  }
  pthread_mutex_lock(&pool->lock);
  while (atomic_load_explicit(&job.done, memory_order_acquire) < job.num_chunks)
    pthread_cond_wait(&pool->finished, &pool->lock);
  pthread_mutex_unlock(&pool->lock);
}
