use super::*;
use std::fs;
use std::path::PathBuf;

fn write_bench(
    root: &std::path::Path,
    group: &str,
    name: &str,
    median: f64,
    samples: &[(f64, f64)],
) {
    let dir = root.join(group).join(name).join("new");
    fs::create_dir_all(&dir).unwrap();
    let meta = format!(
        r#"{{"group_id":"{group}","function_id":"{name}","value_str":null,"throughput":null,"full_id":"{group}/{name}","directory_name":"{group}/{name}","title":"{group}/{name}"}}"#
    );
    fs::write(dir.join("benchmark.json"), meta).unwrap();
    let est = format!(
        r#"{{"median":{{"point_estimate":{median},"standard_error":0.0,"confidence_interval":{{"confidence_level":0.95,"lower_bound":0,"upper_bound":0}}}}}}"#
    );
    fs::write(dir.join("estimates.json"), est).unwrap();
    let (iters, times): (Vec<f64>, Vec<f64>) = samples.iter().copied().unzip();
    let sample = format!(r#"{{"sampling_mode":"Flat","iters":{iters:?},"times":{times:?}}}"#);
    fs::write(dir.join("sample.json"), sample).unwrap();
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xik-report-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    dir
}

#[test]
fn ratios_targets_and_order() {
    let root = scratch("ratios");
    write_bench(
        &root,
        "ring_spsc_cap16",
        "crossbeam_ArrayQueue",
        30.0,
        &[(10.0, 250.0), (10.0, 400.0)],
    );
    write_bench(
        &root,
        "ring_spsc_cap16",
        "xikernel_ring",
        20.0,
        &[(10.0, 180.0)],
    );
    write_bench(&root, "ring_spsc_cap16", "rtrb", 10.0, &[(10.0, 100.0)]);
    write_bench(&root, "list_spsc", "xikernel_list", 50.0, &[(1.0, 50.0)]);
    write_bench(
        &root,
        "list_spsc",
        "crossbeam_SegQueue",
        40.0,
        &[(1.0, 40.0)],
    );
    write_bench(&root, "zz_other", "xikernel_x", 10.0, &[(1.0, 10.0)]);
    write_bench(&root, "zz_other", "peer_a", 30.0, &[(1.0, 30.0)]);
    write_bench(&root, "zz_other", "peer_b", 15.0, &[(1.0, 15.0)]);
    fs::create_dir_all(root.join("report")).unwrap(); // ignored: no new/

    let groups = load(&root).unwrap();
    let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["ring_spsc_cap16", "list_spsc", "zz_other"]);
    let ring = &groups[0];
    let order: Vec<&str> = ring.benches.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(order, ["xikernel_ring", "rtrb", "crossbeam_ArrayQueue"]);
    assert_eq!(ring.get("crossbeam_ArrayQueue").unwrap().min_ns, 25.0);

    let h = headline(ring).unwrap();
    assert_eq!(
        (h.peer.as_str(), h.ratio, h.met()),
        ("crossbeam_ArrayQueue", 1.5, Some(true))
    );
    let h = headline(&groups[1]).unwrap();
    assert_eq!((h.ratio, h.met()), (0.8, Some(false)));
    // No target: against the fastest peer.
    let h = headline(&groups[2]).unwrap();
    assert_eq!((h.peer.as_str(), h.ratio, h.met()), ("peer_b", 1.5, None));

    let ctx = Context {
        preamble: "run here\n".into(),
        analysis: "## Analysis\nwhy\n".into(),
        chart_file: "c.svg".into(),
    };
    let (md, svg) = render(&groups, &ctx);
    assert!(
        md.contains("| ring_spsc_cap16 | xikernel_ring | crossbeam_ArrayQueue | 1.50x | 1.39x |"),
        "{md}"
    );
    assert!(md.contains("| list_spsc | xikernel_list | crossbeam_SegQueue | 0.80x | 0.80x | >= 1.0x SegQueue | **missed** |"), "{md}");
    assert!(
        md.contains("| crossbeam_ArrayQueue | 30.0 ns | 25.0 ns | 1.50x | 1.39x |"),
        "{md}"
    );
    assert!(md.contains("![headline ratios](c.svg)") && md.ends_with("why\n"));
    assert_eq!(svg.matches("<rect x=").count(), 3);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn ours_missing_still_renders_peers() {
    let root = scratch("missing");
    write_bench(
        &root,
        "ring_pair_cap1024",
        "crossbeam_ArrayQueue",
        12.0,
        &[(1.0, 12.0)],
    );
    let groups = load(&root).unwrap();
    assert!(headline(&groups[0]).is_none());
    let (md, _) = render(&groups, &Context::default());
    assert!(md.contains("ours was not measured"), "{md}");
    assert!(
        md.contains("| crossbeam_ArrayQueue | 12.0 ns | 12.0 ns | — | — |"),
        "{md}"
    );
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn corrupt_json_is_an_error_not_a_panic() {
    let root = scratch("corrupt");
    let dir = root.join("g").join("b").join("new");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("benchmark.json"), "{not json").unwrap();
    fs::write(dir.join("estimates.json"), "{}").unwrap();
    assert!(load(&root).is_err());
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn formatting() {
    assert_eq!(fmt_ns(12.345), "12.3 ns");
    assert_eq!(fmt_ns(12_345.0), "12.35 µs");
    assert_eq!(fmt_ns(12_345_678.0), "12.35 ms");
}
