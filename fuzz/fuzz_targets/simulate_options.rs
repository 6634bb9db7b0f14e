//! Any values as `ntp simulate`'s options: checking them ends in options or a clear error;
//! options that pass give time stamps and labels that do not wrap, and events apart from
//! each other inside the series.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use ntp::simulate::Request;

#[derive(Arbitrary, Debug)]
struct Asked {
    every: String,
    days: f64,
    rate: f64,
    trend: f64,
    hosts: usize,
    hurst: f64,
    events: Vec<String>,
    start_ns: i64,
    seed: u64,
    capture: bool,
}

fuzz_target!(|a: Asked| {
    let request = Request {
        every: &a.every,
        days: a.days,
        rate: a.rate,
        trend: a.trend,
        hosts: a.hosts,
        hurst: a.hurst,
        events: &a.events,
        start_ns: a.start_ns,
        seed: a.seed,
        capture: a.capture.then(|| "x.pcap".into()),
    };
    let Ok(o) = request.options() else {
        return;
    };
    let m = &o.model;
    assert!(m.intervals >= 1 && m.every_ns > 0);
    let end = m.start_ns as i128 + (m.intervals as i128 + 1) * m.every_ns as i128;
    assert!(end <= i64::MAX as i128, "the span wraps");
    if o.capture.is_some() {
        assert!(m.start_ns >= 0 && end <= (u32::MAX as i128 + 1) * 1_000_000_000);
    }
    let events = m.events(&o.events);
    assert_eq!(events.len(), o.events.len());
    for e in &events {
        assert!(e.start < e.end && e.end <= m.intervals, "{e:?}");
    }
    for w in events.windows(2) {
        assert!(w[0].end <= w[1].start, "events overlap: {events:?}");
    }
});
