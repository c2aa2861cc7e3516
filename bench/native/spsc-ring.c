// The machine's per-event hand-off ceiling, for the speed targets: a single-producer single-consumer ring of 8-byte
// values in C, the producer publishing its index after every value (release), the consumer reading the producer's
// index only when its cached copy is exhausted (acquire), checking every value and giving the slots back (its own
// index, release) once per batch, the producer reading the consumer's index only when its cached copy says the ring
// is full. The same contract as one HotPath writer
// publishing per event to one reader, without anything HotPath adds. Threads pinned to CPUs 0 and 1.
//
// Build and run:  gcc -O2 -pthread -o spsc-ring bench/native/spsc-ring.c && ./spsc-ring [rounds] [seconds]
// Prints one line per round (events/s) and the median.
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CAPACITY (1u << 16)
#define MASK (CAPACITY - 1)

struct ring {
    _Alignas(64) _Atomic uint64_t tail;   // producer: next index to write (published after each value)
    _Alignas(64) _Atomic uint64_t head;   // consumer: next index to read
    _Alignas(64) uint64_t slots[CAPACITY];
};

static struct ring g_ring;
static _Atomic int g_stop;
static uint64_t g_consumed;
static int g_failed;

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *producer(void *arg) {
    (void)arg;
    pin(0);
    uint64_t tail = atomic_load_explicit(&g_ring.tail, memory_order_relaxed);
    uint64_t head_cache = atomic_load_explicit(&g_ring.head, memory_order_acquire);
    while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
        for (int i = 0; i < 1024; i++) {
            while (tail - head_cache >= CAPACITY) {
                if (atomic_load_explicit(&g_stop, memory_order_relaxed)) {
                    return NULL; // the consumer has all it wanted, and gives nothing more back
                }
                head_cache = atomic_load_explicit(&g_ring.head, memory_order_acquire);
            }
            g_ring.slots[tail & MASK] = tail;
            tail++;
            atomic_store_explicit(&g_ring.tail, tail, memory_order_release);
        }
    }
    return NULL;
}

static void *consumer(void *arg) {
    uint64_t end = *(uint64_t *)arg;
    pin(1);
    uint64_t head = atomic_load_explicit(&g_ring.head, memory_order_relaxed);
    uint64_t tail_cache = head;
    while (head < end) {
        if (head == tail_cache) {
            // Caught up: give the slots read so far back to the producer (release: our reads of them come first),
            // then look for more. One store per batch, as a HotPath member commits its gating sequence.
            atomic_store_explicit(&g_ring.head, head, memory_order_release);
            tail_cache = atomic_load_explicit(&g_ring.tail, memory_order_acquire);
            continue;
        }
        if (g_ring.slots[head & MASK] != head) {
            g_failed = 1;
        }
        head++;
    }
    g_consumed = head;
    atomic_store_explicit(&g_stop, 1, memory_order_relaxed);
    return NULL;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 9;
    double seconds = argc > 2 ? atof(argv[2]) : 0.5;
    double rates[256];
    if (rounds < 1 || rounds > 256) {
        fprintf(stderr, "rounds must be 1 to 256, was %d\n", rounds);
        return 2;
    }
    uint64_t events = 50000000;
    for (int round = 0; round < rounds; round++) {
        // The first round sizes the transfer so that one takes about `seconds`.
        atomic_store(&g_ring.tail, 0);
        atomic_store(&g_ring.head, 0);
        atomic_store(&g_stop, 0);
        pthread_t p, c;
        double start = now();
        pthread_create(&c, NULL, consumer, &events);
        pthread_create(&p, NULL, producer, NULL);
        pthread_join(c, NULL);
        double elapsed = now() - start;
        pthread_join(p, NULL);
        rates[round] = g_consumed / elapsed;
        printf("round %d: %.1f M/s (%llu events in %.3f s)%s\n", round + 1, rates[round] / 1e6,
               (unsigned long long)g_consumed, elapsed, g_failed ? " VALUE MISMATCH" : "");
        if (round == 0) {
            events = (uint64_t)(rates[0] * seconds);
        }
    }
    qsort(rates, rounds, sizeof rates[0], compare);
    printf("median %.1f M/s over %d rounds\n", rates[rounds / 2] / 1e6, rounds);
    return g_failed;
}
