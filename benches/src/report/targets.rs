//! The targets, as ratios (peer time / our time, so `>= min_ratio`
//! means met), and the report's group order.

/// One target: in the groups whose name starts with `prefix`, `ours` must be
/// at least `min_ratio` times as fast as `peer`; also names ours and the
/// peer of the group's headline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Target {
    pub prefix: &'static str,
    pub ours: &'static str,
    pub peer: &'static str,
    /// `None`: the group only gives context (no target in the issue).
    pub min_ratio: Option<f64>,
    pub label: &'static str,
}

const RING: &str = "xikernel_ring";
const AQ: &str = "crossbeam_ArrayQueue";

/// Every target of the benchmark issue; first matching prefix wins.
pub const TARGETS: &[Target] = &[
    Target {
        prefix: "ring_spsc",
        ours: RING,
        peer: AQ,
        min_ratio: Some(1.0),
        label: ">= 1.0x ArrayQueue throughput (aim 1.3x)",
    },
    Target {
        prefix: "ring_mpmc",
        ours: RING,
        peer: AQ,
        min_ratio: Some(1.0),
        label: ">= 1.0x ArrayQueue throughput (aim 1.3x)",
    },
    Target {
        prefix: "ring_burst",
        ours: RING,
        peer: AQ,
        min_ratio: Some(1.0),
        label: ">= 1.0x ArrayQueue throughput (aim 1.3x)",
    },
    Target {
        prefix: "ring_pair",
        ours: RING,
        peer: AQ,
        min_ratio: Some(1.0),
        label: "push+pop pair <= ArrayQueue's time",
    },
    Target {
        prefix: "list_",
        ours: "xikernel_list",
        peer: "crossbeam_SegQueue",
        min_ratio: Some(1.0),
        label: ">= 1.0x SegQueue",
    },
    Target {
        prefix: "blocking_wakeup",
        ours: "xikernel_blocking",
        peer: "crossbeam_channel",
        min_ratio: Some(1.0),
        label: "wake-up latency <= crossbeam-channel's",
    },
    Target {
        prefix: "channels_contention",
        ours: "xikernel_two_channels",
        peer: "xikernel_one_channel",
        min_ratio: Some(1.6),
        label: "two threads on two channels >= 1.6x the throughput of both on one",
    },
    Target {
        prefix: "codec_decode_tuple8",
        ours: "xikernel_owned",
        peer: "postcard",
        min_ratio: Some(2.0),
        label: "owned decode >= 2x faster than postcard",
    },
    Target {
        prefix: "codec_decode_nested3",
        ours: "xikernel_owned",
        peer: "postcard",
        min_ratio: Some(2.0),
        label: "owned decode >= 2x faster than postcard",
    },
    Target {
        prefix: "codec_encode_bytes64k",
        ours: "xikernel",
        peer: "memcpy",
        min_ratio: Some(0.9),
        label: ">= 0.9x memcpy speed",
    },
    Target {
        prefix: "codec_decode_bytes64k",
        ours: "xikernel_owned",
        peer: "memcpy",
        min_ratio: Some(0.9),
        label: ">= 0.9x memcpy speed",
    },
    Target {
        prefix: "channels_pair",
        ours: "xikernel_channel_by_id",
        peer: "crossbeam_channel",
        min_ratio: None,
        label: "no target (cost of the CPython semantics and the lookup)",
    },
    Target {
        prefix: "codec_encode_",
        ours: "xikernel",
        peer: "postcard",
        min_ratio: None,
        label: "no target (postcard encodes the same dynamic values)",
    },
    Target {
        prefix: "codec_decode_",
        ours: "xikernel_owned",
        peer: "postcard",
        min_ratio: None,
        label: "no target (postcard decodes the same dynamic values)",
    },
    Target {
        prefix: "queues_pair",
        ours: "xikernel_queue_by_id",
        peer: "crossbeam_channel",
        min_ratio: None,
        label: "no target (cost of the CPython semantics and the lookup)",
    },
    Target {
        prefix: "ipc_pair_64B",
        ours: "xikernel_ipc",
        peer: "pipe",
        min_ratio: Some(10.0),
        label: "64 B push+pop across two processes >= 10x a pipe's throughput",
    },
    Target {
        prefix: "ipc_ceiling_64B",
        ours: "xikernel_ipc",
        peer: "crossbeam_channel_in_process",
        min_ratio: Some(1.0 / 3.0),
        label: "64 B across processes within 3x of in-process crossbeam-channel",
    },
    Target {
        prefix: "ipc_wakeup",
        ours: "xikernel_ipc",
        peer: "futex_pingpong",
        min_ratio: None,
        label: "wake-up latency within 20 µs of a futex ping-pong (an absolute margin: compare the medians)",
    },
    Target {
        prefix: "ipc_",
        ours: "xikernel_ipc",
        peer: "pipe",
        min_ratio: None,
        label: "no target (context: 64 KiB, batches, several producers)",
    },
    Target {
        prefix: "queues_contention",
        ours: "xikernel_two_queues",
        peer: "xikernel_one_queue",
        min_ratio: Some(1.6),
        label: "the channel target applied to queues: two queues >= 1.6x one",
    },
];

/// The target of group `name`, if the issue sets one.
pub fn target_for(name: &str) -> Option<Target> {
    TARGETS.iter().find(|t| name.starts_with(t.prefix)).copied()
}

/// Report order: the order of groups (codec: value by value,
/// encode then decode), then anything else.
pub fn rank(name: &str) -> usize {
    const ORDER: &[&str] = &[
        "ring_spsc_cap1024",
        "ring_spsc",
        "ring_mpmc2x2_cap1024",
        "ring_mpmc",
        "ring_burst64_cap1024",
        "ring_burst",
        "ring_pair",
        "list_spsc",
        "list_mpmc",
        "list_pair",
        "blocking",
        "channels_pair",
        "channels_contention",
        "queues_pair",
        "queues_contention",
        "ipc_pair",
        "ipc_ceiling",
        "ipc_fan",
        "ipc_wakeup",
    ];
    const VALUES: &[&str] = &[
        "small_int",
        "i64",
        "bigint",
        "f64",
        "str10",
        "str1k",
        "bytes64k",
        "tuple8",
        "nested3",
    ];
    if let Some(i) = ORDER.iter().position(|p| name.starts_with(p)) {
        return i;
    }
    let codec = |op: &str| {
        let value = name.strip_prefix(op)?;
        let v = VALUES
            .iter()
            .position(|p| value.starts_with(p))
            .unwrap_or(VALUES.len());
        Some(ORDER.len() + 2 * v)
    };
    codec("codec_encode_")
        .or_else(|| codec("codec_decode_").map(|r| r + 1))
        .unwrap_or(ORDER.len() + 2 * VALUES.len() + 2)
}
