"""Crash test of `xikernel.mp.Queue`: producers and consumers SIGKILLed
mid-operation, replacements started, and then:

- every put that completed (recorded by its producer after `put`
  returned) is received exactly once, except at most one item per killed
  consumer (the one it had taken but not yet recorded);
- a killed producer's unfinished put is never half-received: every item
  received is intact (its payload is checked) and received at most once;
- nobody hangs: every surviving process finishes, and every `get` with a
  timeout returns or raises within the timeout plus a margin.

Items carry payloads up to 200 kB, so kills land inside the copy of a
large message (what leaves `multiprocessing.Queue`'s consumer blocked
forever). `XIKERNEL_MP_CRASH_SECONDS` sets how long the killing goes on
(default 3).
"""

import os
import queue
import random
import signal
import time
import unittest

import multiprocessing
from xikernel import mp

SECONDS = float(os.environ.get("XIKERNEL_MP_CRASH_SECONDS", "3"))
PER_PRODUCER = 400        # items each producer slot puts
SLOTS = 24                # producer slots (one per producer ever started)
GET_TIMEOUT = 0.2
MARGIN = 2.0              # generous: loaded machines; the point is "returns"


def payload(slot, seq):
    n = (seq * 7919 + slot * 104729) % 200_000 if seq % 5 == 0 else seq % 64
    return bytes([(slot * 31 + seq) % 251]) * n


def producer(q, slot, done):
    """Puts (slot, seq, payload) for seq in 0..PER_PRODUCER, recording each
    completed put in done[slot] after it returned."""
    for seq in range(PER_PRODUCER):
        q.put((slot, seq, payload(slot, seq)))
        done[slot] = seq + 1


def consumer(q, seen, bad, late, stop):
    """Gets items until told to stop, counting each (slot, seq) in `seen`;
    an item whose payload is wrong counts in `bad`; a get that overran its
    timeout by more than MARGIN counts in `late`."""
    while not stop.value:
        t = time.monotonic()
        try:
            slot, seq, data = q.get(timeout=GET_TIMEOUT)
        except queue.Empty:
            if time.monotonic() - t > GET_TIMEOUT + MARGIN:
                late.value += 1
            continue
        if data != payload(slot, seq):
            bad.value += 1
        seen[slot * PER_PRODUCER + seq] += 1


class CrashTest(unittest.TestCase):
    def test_kill_producers_and_consumers(self):
        ctx = mp.get_context("fork")
        native = multiprocessing.get_context("fork")
        q = ctx.Queue(size=1 << 20)   # small: producers block on room too
        done = native.RawArray("i", SLOTS)
        seen = native.RawArray("i", SLOTS * PER_PRODUCER)
        bad = native.RawValue("i", 0)
        late = native.RawValue("i", 0)
        stop = native.RawValue("i", 0)
        rng = random.Random(int(os.environ.get("XIKERNEL_MP_CRASH_SEED", "0")) or None)

        next_slot = 0
        producers, consumers = [], []

        def start_producer():
            nonlocal next_slot
            if next_slot == SLOTS:
                return
            p = native.Process(target=producer, args=(q, next_slot, done), daemon=True)
            next_slot += 1
            p.start()
            producers.append(p)

        def start_consumer():
            c = native.Process(target=consumer, args=(q, seen, bad, late, stop), daemon=True)
            c.start()
            consumers.append(c)

        for _ in range(3):
            start_producer()
        for _ in range(2):
            start_consumer()

        consumer_kills = producer_kills = 0
        end = time.monotonic() + SECONDS
        while time.monotonic() < end:
            time.sleep(rng.uniform(0.005, 0.05))
            live_p = [p for p in producers if p.is_alive()]
            live_c = [c for c in consumers if c.is_alive()]
            if live_c and (not live_p or rng.random() < 0.4):
                victim = rng.choice(live_c)
                os.kill(victim.pid, signal.SIGKILL)
                victim.join()
                consumer_kills += 1
                start_consumer()
            elif live_p:
                victim = rng.choice(live_p)
                os.kill(victim.pid, signal.SIGKILL)
                victim.join()
                producer_kills += 1
                start_producer()
            while sum(p.is_alive() for p in producers) < 3 and next_slot < SLOTS:
                start_producer()

        # No more kills: every producer must finish, the consumers drain.
        for p in producers:
            p.join(120)
            self.assertFalse(p.is_alive(), "a producer hung")
        deadline = time.monotonic() + 120
        while q.qsize() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(q.qsize(), 0, "the consumers stopped draining")
        stop.value = 1
        for c in consumers:
            c.join(30)
            self.assertFalse(c.is_alive(), "a consumer hung")

        self.assertEqual(bad.value, 0, "an item arrived corrupted")
        self.assertEqual(late.value, 0, "a get overran its timeout")
        lost = 0
        for slot in range(next_slot):
            for seq in range(PER_PRODUCER):
                n = seen[slot * PER_PRODUCER + seq]
                self.assertLessEqual(n, 1, f"item {(slot, seq)} received {n} times")
                completed = seq < done[slot]
                if completed and n == 0:
                    lost += 1
                if seq > done[slot]:
                    # Never put (its producer died before): never received.
                    self.assertEqual(n, 0, f"item {(slot, seq)} was never put")
        self.assertLessEqual(lost, consumer_kills,
                             f"{lost} completed puts lost, {consumer_kills} consumers killed")
        self.assertGreater(consumer_kills + producer_kills, 0)
        print(f"\ncrash test: {producer_kills} producers and {consumer_kills} consumers killed, "
              f"{sum(done[s] for s in range(next_slot))} puts completed, {lost} lost in killed "
              f"consumers, lock recoveries {q._info()[4]}")


if __name__ == "__main__":
    unittest.main()
