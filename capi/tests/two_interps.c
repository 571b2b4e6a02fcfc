/* Two "interpreters" (pthreads, host ids 1 and 2) exchanging byte payloads
 * through an xikernel queue and channel; interpreter 1 is destroyed
 * mid-stream and its unreceived items must follow their unbound policy.
 * This is the complete example of docs/vendoring.md ("Using the kernel
 * from C"); capi/tests/c_consumer.rs compiles it with gcc (plain, TSan,
 * ASan) against libxikernel_capi.a and runs it.
 *
 * Exit status 0 and a last line "two_interps: ok" mean every check held. */
/* pthread barriers are POSIX, not C11. */
#define _POSIX_C_SOURCE 200809L

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xikernel.h"

#define CHECK(cond)                                                        \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,    \
              #cond);                                                      \
      exit(1);                                                             \
    }                                                                      \
  } while (0)
#define OK(call) CHECK((call) == XIK_OK)

enum { ROUNDS = 200, TAIL = 30, TAKEN = 12, FOREVER = -1 };

static const uint64_t INTERP1 = 1, INTERP2 = 2;

/* The release callback: counts the data nobody received, per owner. It is
 * called from whichever thread discards the data. */
static atomic_long released_by_1, released_other;
static void on_release(void *ctx, const uint8_t *data, size_t len,
                       uint64_t owner) {
  (void)ctx;
  CHECK(data != NULL && len > 0);
  if (owner == INTERP1)
    atomic_fetch_add(&released_by_1, 1);
  else
    atomic_fetch_add(&released_other, 1);
}

static xik_registry *reg;
static uint64_t q, ch;
static pthread_barrier_t mid_stream, destroyed;

/* The policy of tail item i: REMOVE, ERROR, REPLACE in turn. */
static int32_t policy(int i) { return XIK_UNBOUND_REMOVE + i % 3; }

static xik_item new_item(void) {
  xik_item it;
  memset(&it, 0, sizeof it);
  it.size = sizeof it;
  return it;
}

static void put_text(uint64_t interp, const char *text, int32_t unbound) {
  OK(xik_queue_put(reg, interp, q, (const uint8_t *)text, strlen(text) + 1,
                   unbound, FOREVER, NULL));
}

static void send_text(uint64_t interp, const char *text, int32_t unbound) {
  /* timeout 0: queue it and return (a channel is unbounded). */
  OK(xik_channel_send(reg, interp, ch, (const uint8_t *)text,
                      strlen(text) + 1, unbound, 0, NULL));
}

/* Interpreter 1: ping over the queue, wait for each pong on the channel,
 * then leave a tail of items in both and stop (its "destruction"). */
static void *interp1(void *arg) {
  (void)arg;
  char buf[64];
  for (int i = 0; i < ROUNDS; i++) {
    snprintf(buf, sizeof buf, "ping %d", i);
    put_text(INTERP1, buf, XIK_UNBOUND_REPLACE);
    xik_item it = new_item();
    OK(xik_channel_recv(reg, INTERP1, ch, FOREVER, NULL, &it));
    CHECK(it.kind == XIK_ITEM_DATA && it.owner == INTERP2);
    snprintf(buf, sizeof buf, "pong %d", i);
    CHECK(strcmp((const char *)it.data, buf) == 0);
    OK(xik_item_free(&it));
    CHECK(it.data == NULL);
  }
  for (int i = 0; i < TAIL; i++) {
    snprintf(buf, sizeof buf, "tail %d", i);
    put_text(INTERP1, buf, policy(i));
    send_text(INTERP1, buf, policy(i));
  }
  return NULL;
}

/* Checks the rest of a tail after interpreter 1 is gone: the live items
 * taken before, then per policy: REMOVE gone, ERROR and REPLACE markers. */
static void drain_unbound(int from, int is_queue) {
  for (int i = from; i < TAIL; i++) {
    if (policy(i) == XIK_UNBOUND_REMOVE) continue;
    xik_item it = new_item();
    if (is_queue)
      OK(xik_queue_get(reg, q, 0, NULL, &it));
    else
      OK(xik_channel_recv(reg, INTERP2, ch, 0, NULL, &it));
    CHECK(it.data == NULL && it.len == 0);
    CHECK(it.kind == (policy(i) == XIK_UNBOUND_ERROR
                          ? XIK_ITEM_UNBOUND_ERROR
                          : XIK_ITEM_UNBOUND_REPLACE));
  }
  xik_item it = new_item();
  if (is_queue)
    CHECK(xik_queue_get(reg, q, 0, NULL, &it) == XIK_ERR_EMPTY);
  else
    CHECK(xik_channel_recv(reg, INTERP2, ch, 0, NULL, &it) == XIK_ERR_EMPTY);
}

/* Interpreter 2: answer every ping, take the first TAKEN tail items of
 * each, then (after interpreter 1 is destroyed) check the rest. */
static void *interp2(void *arg) {
  (void)arg;
  char buf[64];
  for (int i = 0; i < ROUNDS; i++) {
    xik_item it = new_item();
    OK(xik_queue_get(reg, q, FOREVER, NULL, &it));
    CHECK(it.kind == XIK_ITEM_DATA && it.owner == INTERP1);
    snprintf(buf, sizeof buf, "ping %d", i);
    CHECK(strcmp((const char *)it.data, buf) == 0);
    OK(xik_item_free(&it));
    snprintf(buf, sizeof buf, "pong %d", i);
    send_text(INTERP2, buf, XIK_UNBOUND_REPLACE);
  }
  for (int i = 0; i < TAKEN; i++) {
    snprintf(buf, sizeof buf, "tail %d", i);
    xik_item a = new_item(), b = new_item();
    OK(xik_queue_get(reg, q, FOREVER, NULL, &a));
    OK(xik_channel_recv(reg, INTERP2, ch, FOREVER, NULL, &b));
    CHECK(a.kind == XIK_ITEM_DATA && strcmp((const char *)a.data, buf) == 0);
    CHECK(b.kind == XIK_ITEM_DATA && strcmp((const char *)b.data, buf) == 0);
    OK(xik_item_free(&a));
    OK(xik_item_free(&b));
  }
  pthread_barrier_wait(&mid_stream);
  pthread_barrier_wait(&destroyed);
  drain_unbound(TAKEN, 1);
  drain_unbound(TAKEN, 0);
  return NULL;
}

/* A blocked get ended from another thread through a cancel token. */
static xik_cancel *cancel;
static void *blocked_getter(void *arg) {
  xik_status *result = arg;
  xik_item it = new_item();
  *result = xik_queue_get(reg, q, FOREVER, cancel, &it);
  return NULL;
}

static void discipline(void) {
  xik_version_info v;
  memset(&v, 0, sizeof v);
  CHECK(xik_version(&v) == XIK_ERR_INVALID); /* size not set */
  v.size = sizeof v;
  OK(xik_version(&v));
  CHECK(v.abi_major == XIK_ABI_MAJOR && (long)v.abi_minor >= (long)XIK_ABI_MINOR);
  CHECK(xik_version(NULL) == XIK_ERR_NULL);

  xik_item it = new_item();
  uint64_t id;
  CHECK(xik_queue_create(NULL, 0, 0, &id) == XIK_ERR_NULL);
  CHECK(xik_queue_create(reg, 0, 0, NULL) == XIK_ERR_NULL);
  CHECK(xik_queue_create(reg, 0, 9, &id) == XIK_ERR_INVALID);
  CHECK(xik_queue_put(reg, 1, q, NULL, 0, 0, 0, NULL) == XIK_ERR_NULL);
  CHECK(xik_queue_get(reg, q, 0, NULL, NULL) == XIK_ERR_NULL);
  CHECK(xik_queue_get(reg, 12345, 0, NULL, &it) == XIK_ERR_NOT_FOUND);
  CHECK(xik_item_free(NULL) == XIK_ERR_NULL);
  CHECK(xik_channel_close(reg, ch, 7, false) == XIK_ERR_INVALID);
  CHECK(xik_registry_free(NULL) == XIK_ERR_NULL);
  CHECK(xik_cancel_trip(NULL) == XIK_ERR_NULL);

  /* Bounded queue: a timed put on a full queue times out, a 0-timeout put
   * says FULL, and neither stores the item. */
  uint64_t small;
  OK(xik_queue_create(reg, 1, 0, &small));
  const uint8_t byte = 7;
  OK(xik_queue_put(reg, 3, small, &byte, 1, 0, 0, NULL));
  CHECK(xik_queue_put(reg, 3, small, &byte, 1, 0, 0, NULL) == XIK_ERR_FULL);
  CHECK(xik_queue_put(reg, 3, small, &byte, 1, 0, 1000000, NULL) ==
        XIK_ERR_TIMEOUT);
  size_t n;
  OK(xik_queue_len(reg, small, &n));
  CHECK(n == 1);
  /* Bindings: the last release destroys the queue and releases its item. */
  long before = atomic_load(&released_other);
  OK(xik_queue_bind(reg, small));
  OK(xik_queue_bind(reg, small));
  OK(xik_queue_release(reg, small));
  OK(xik_queue_len(reg, small, &n));
  OK(xik_queue_release(reg, small));
  CHECK(xik_queue_len(reg, small, &n) == XIK_ERR_NOT_FOUND);
  CHECK(atomic_load(&released_other) == before + 1);

  /* Cancellation from another thread (the token stays tripped, so the
   * outcome does not depend on which thread runs first). */
  xik_status got = XIK_OK;
  pthread_t t;
  OK(xik_cancel_new(0, &cancel));
  CHECK(pthread_create(&t, NULL, blocked_getter, &got) == 0);
  OK(xik_cancel_trip(cancel));
  CHECK(pthread_join(t, NULL) == 0);
  CHECK(got == XIK_ERR_CANCELLED);
  OK(xik_cancel_reset(cancel));
  CHECK(xik_queue_get(reg, q, 1000000, cancel, &it) == XIK_ERR_TIMEOUT);
  OK(xik_cancel_free(cancel));
}

/* Event-loop hosts: a queue's readiness fd, polled by a thread that never
 * blocks inside the library (poll, read to reset, drain with timeout 0). */
static uint64_t rq;
static void *event_loop(void *arg) {
  (void)arg;
  int fd;
  OK(xik_queue_ready_fd(reg, rq, &fd));
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int got = 0;
  while (got < 3) {
    /* A generous bound only so that a lost signal fails instead of hanging. */
    CHECK(poll(&p, 1, 30000) == 1 && (p.revents & POLLIN));
    uint64_t count;
    CHECK(read(fd, &count, sizeof count) == sizeof count && count >= 1);
    for (;;) {
      xik_item it = new_item();
      xik_status s = xik_queue_get(reg, rq, 0, NULL, &it);
      if (s == XIK_ERR_EMPTY) break;
      OK(s);
      CHECK(it.kind == XIK_ITEM_DATA && it.len == 1 && it.data[0] == got);
      OK(xik_item_free(&it));
      got++;
    }
  }
  return NULL;
}

static void readiness(void) {
  int fd, again;
  OK(xik_queue_create(reg, 0, 0, &rq));
  OK(xik_queue_ready_fd(reg, rq, &fd));
  OK(xik_queue_ready_fd(reg, rq, &again));
  CHECK(fd >= 0 && fd == again);
  CHECK(xik_queue_ready_fd(reg, rq, NULL) == XIK_ERR_NULL);
  CHECK(xik_queue_ready_fd(reg, 98765, &again) == XIK_ERR_NOT_FOUND);
  struct pollfd p = {.fd = fd, .events = POLLIN};
  CHECK(poll(&p, 1, 0) == 0); /* nothing put yet: not readable */

  pthread_t t;
  CHECK(pthread_create(&t, NULL, event_loop, NULL) == 0);
  for (uint8_t i = 0; i < 3; i++)
    OK(xik_queue_put(reg, 3, rq, &i, 1, 0, 0, NULL));
  CHECK(pthread_join(t, NULL) == 0);

  /* A close makes it readable too: the get then says CLOSED. */
  uint64_t count;
  if (poll(&p, 1, 0) == 1) CHECK(read(fd, &count, sizeof count) == sizeof count);
  OK(xik_queue_close(reg, rq));
  CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLIN));
  xik_item it = new_item();
  CHECK(xik_queue_get(reg, rq, 0, NULL, &it) == XIK_ERR_CLOSED);
  OK(xik_queue_destroy(reg, rq));

  /* Channels: readable after a send. */
  uint64_t c;
  OK(xik_channel_create(reg, 0, &c));
  OK(xik_channel_ready_fd(reg, c, &fd));
  p.fd = fd;
  CHECK(poll(&p, 1, 0) == 0);
  const uint8_t b = 9;
  OK(xik_channel_send(reg, 3, c, &b, 1, 0, 0, NULL));
  CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLIN));
  OK(xik_channel_recv(reg, 4, c, 0, NULL, &it));
  CHECK(it.kind == XIK_ITEM_DATA && it.data[0] == 9);
  OK(xik_item_free(&it));

  /* A waiting send nobody receives is withdrawn at its deadline or when
   * cancelled: nothing stays queued. */
  size_t n;
  CHECK(xik_channel_send(reg, 3, c, &b, 1, 0, 1000000, NULL) == XIK_ERR_TIMEOUT);
  OK(xik_channel_len(reg, c, &n));
  CHECK(n == 0);
  xik_cancel *stop;
  OK(xik_cancel_new(0, &stop));
  OK(xik_cancel_trip(stop));
  CHECK(xik_channel_send(reg, 3, c, &b, 1, 0, FOREVER, stop) == XIK_ERR_CANCELLED);
  CHECK(xik_channel_recv(reg, 4, c, FOREVER, stop, &it) == XIK_ERR_CANCELLED);
  OK(xik_channel_len(reg, c, &n));
  CHECK(n == 0);
  OK(xik_cancel_free(stop));
  OK(xik_channel_destroy(reg, c));
}

/* The codec for hosts that want its value model: encode a nested tuple
 * (1, (True, "h\u00e9", b"\x00\x01", 2**64), None, 2.5), decode it back
 * event by event, and see a truncated buffer and a trailing byte refused
 * with XIK_ERR_MALFORMED and an offset (never a crash). */
static void expect_event(xik_decoder *dec, xik_event_kind kind,
                         xik_event *ev) {
  memset(ev, 0, sizeof *ev);
  ev->size = sizeof *ev;
  OK(xik_decoder_next(dec, ev));
  CHECK(ev->kind == kind);
}

static void codec(void) {
  static const uint8_t two64[9] = {0, 0, 0, 0, 0, 0, 0, 0, 1};
  xik_encoder *enc;
  OK(xik_encoder_new(&enc));
  OK(xik_encoder_tuple(enc, 4));
  OK(xik_encoder_int(enc, 1));
  OK(xik_encoder_tuple(enc, 4));
  OK(xik_encoder_bool(enc, true));
  OK(xik_encoder_str(enc, (const uint8_t *)"h\xc3\xa9", 3));
  OK(xik_encoder_bytes(enc, (const uint8_t *)"\x00\x01", 2));
  OK(xik_encoder_bigint(enc, false, two64, sizeof two64));
  OK(xik_encoder_none(enc));
  xik_buffer buf = {.size = sizeof buf};
  CHECK(xik_encoder_finish(enc, &buf) == XIK_ERR_INVALID); /* one owed */
  CHECK(xik_encoder_str(enc, (const uint8_t *)"\xff", 1) == XIK_ERR_INVALID);
  OK(xik_encoder_float(enc, 2.5));
  CHECK(xik_encoder_none(enc) == XIK_ERR_INVALID); /* value complete */
  OK(xik_encoder_finish(enc, &buf));
  CHECK(buf.len > 3 && memcmp(buf.data, "XI\x01", 3) == 0);

  xik_decoder *dec;
  xik_event ev;
  OK(xik_decoder_new(buf.data, buf.len, &dec));
  expect_event(dec, XIK_EVENT_TUPLE_START, &ev);
  CHECK(ev.len == 4);
  expect_event(dec, XIK_EVENT_INT, &ev);
  CHECK(ev.i == 1);
  expect_event(dec, XIK_EVENT_TUPLE_START, &ev);
  CHECK(ev.len == 4);
  expect_event(dec, XIK_EVENT_BOOL, &ev);
  CHECK(ev.i == 1);
  expect_event(dec, XIK_EVENT_STR, &ev);
  CHECK(ev.len == 3 && memcmp(ev.data, "h\xc3\xa9", 3) == 0);
  expect_event(dec, XIK_EVENT_BYTES, &ev);
  CHECK(ev.len == 2 && memcmp(ev.data, "\x00\x01", 2) == 0);
  expect_event(dec, XIK_EVENT_BIGINT, &ev);
  CHECK(!ev.negative && ev.len == sizeof two64 &&
        memcmp(ev.data, two64, sizeof two64) == 0);
  expect_event(dec, XIK_EVENT_TUPLE_END, &ev);
  expect_event(dec, XIK_EVENT_NONE, &ev);
  expect_event(dec, XIK_EVENT_FLOAT, &ev);
  CHECK(ev.f == 2.5);
  expect_event(dec, XIK_EVENT_TUPLE_END, &ev);
  expect_event(dec, XIK_EVENT_END, &ev);
  expect_event(dec, XIK_EVENT_END, &ev);
  size_t at;
  CHECK(xik_decoder_error_offset(dec, &at) == XIK_ERR_INVALID);
  OK(xik_decoder_free(dec));

  /* Truncated: the last float byte is missing. */
  OK(xik_decoder_new(buf.data, buf.len - 1, &dec));
  xik_status st;
  int events = 0;
  do {
    memset(&ev, 0, sizeof ev);
    ev.size = sizeof ev;
    st = xik_decoder_next(dec, &ev);
    CHECK(st == XIK_ERR_MALFORMED || (st == XIK_OK && ev.kind != XIK_EVENT_END));
  } while (st == XIK_OK && ++events < 100);
  CHECK(st == XIK_ERR_MALFORMED);
  OK(xik_decoder_error_offset(dec, &at));
  CHECK(at >= 3 && at <= buf.len - 1);
  CHECK(xik_decoder_next(dec, &ev) == XIK_ERR_MALFORMED); /* stays failed */
  OK(xik_decoder_free(dec));

  /* A trailing byte after a complete value, and a bad magic. */
  uint8_t extra[] = {'X', 'I', 1, 0x00, 0x00};
  OK(xik_decoder_new(extra, sizeof extra, &dec));
  memset(&ev, 0, sizeof ev);
  ev.size = sizeof ev;
  CHECK(xik_decoder_next(dec, &ev) == XIK_ERR_MALFORMED);
  OK(xik_decoder_free(dec));
  CHECK(xik_decoder_new((const uint8_t *)"XX\x01\x00", 4, &dec) ==
        XIK_ERR_MALFORMED);
  CHECK(xik_decoder_next(NULL, &ev) == XIK_ERR_NULL);
  CHECK(xik_encoder_int(NULL, 1) == XIK_ERR_NULL);

  OK(xik_buffer_free(&buf));
  CHECK(buf.data == NULL);
}

int main(void) {
  xik_registry_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.size = sizeof cfg;
  cfg.release = on_release;
  OK(xik_registry_new(&cfg, &reg));
  OK(xik_queue_create(reg, 0, XIK_UNBOUND_REPLACE, &q));
  OK(xik_channel_create(reg, XIK_UNBOUND_REPLACE, &ch));

  discipline();
  readiness();
  codec();

  pthread_barrier_init(&mid_stream, NULL, 2);
  pthread_barrier_init(&destroyed, NULL, 2);
  pthread_t t1, t2;
  CHECK(pthread_create(&t1, NULL, interp1, NULL) == 0);
  CHECK(pthread_create(&t2, NULL, interp2, NULL) == 0);

  /* Destroy interpreter 1 mid-stream: its thread has stopped (joined) and
   * interpreter 2 has taken only TAKEN of its TAIL items from each. */
  CHECK(pthread_join(t1, NULL) == 0);
  pthread_barrier_wait(&mid_stream);
  OK(xik_registry_clear_interpreter(reg, INTERP1));
  /* Every unreceived tail item's data was released, once, owner 1: in the
   * queue and in the channel. */
  CHECK(atomic_load(&released_by_1) == 2 * (TAIL - TAKEN));
  pthread_barrier_wait(&destroyed);
  CHECK(pthread_join(t2, NULL) == 0);

  /* Items left at the end go to the release callback when the last
   * reference to the registry goes. */
  OK(xik_registry_retain(reg));
  put_text(INTERP2, "left behind", XIK_UNBOUND_REPLACE);
  long before = atomic_load(&released_other);
  OK(xik_registry_free(reg));
  CHECK(atomic_load(&released_other) == before); /* one reference left */
  OK(xik_registry_free(reg));
  CHECK(atomic_load(&released_other) == before + 1);

  pthread_barrier_destroy(&mid_stream);
  pthread_barrier_destroy(&destroyed);
  printf("two_interps: ok\n");
  return 0;
}
