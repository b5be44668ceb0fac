//! `nethical cache verify` and `nethical gc`: print what `Cache::check_all` and `exec::gc`
//! found and did.

use serde_json::json;

use super::args::{CacheArgs, CacheCommand, CacheVerifyArgs, GcArgs};
use super::out::outln;
use crate::error::{Error, InputError};
use crate::exit_code;
use crate::store::{Cache, StatTrust};

pub(super) fn cache(args: &CacheArgs) -> Result<i32, Error> {
    match &args.command {
        CacheCommand::Verify(a) => verify(a),
    }
}

fn verify(args: &CacheVerifyArgs) -> Result<i32, Error> {
    let cache = Cache::with_trust(&args.cache_dir, StatTrust::Nothing);
    let check = cache.check_all().map_err(Error::io("read the cache folder", &args.cache_dir))?;
    // What was hashed spares the next run the work; failing to keep it changes no result.
    let _ = cache.index().save();
    let code = if check.damaged.is_empty() { exit_code::OK } else { exit_code::STAGE_FAILED };
    if args.json {
        super::out::write(format_args!(
            "{}\n",
            serde_json::to_string_pretty(
                &json!({"cache": args.cache_dir, "ok": check.damaged.is_empty(), "check": check})
            )
            .map_err(|e| Error::Internal(e.to_string()))?
        ));
        return Ok(code);
    }
    for d in &check.damaged {
        for p in &d.problems {
            outln!("damaged: cache entry {}: {p}", d.key);
        }
    }
    let what = format!("{} files, {} bytes hashed", check.files, check.bytes);
    if check.damaged.is_empty() {
        outln!("cache `{}`: ok: {} entries ({what})", args.cache_dir.display(), check.entries);
    } else {
        outln!(
            "cache `{}`: {} of {} entries damaged ({what}); a run that needs one computes it again",
            args.cache_dir.display(),
            check.damaged.len(),
            check.entries
        );
    }
    Ok(code)
}

pub(super) fn gc(args: GcArgs) -> Result<i32, Error> {
    let clock = crate::clock::RunClock::from_source_date_epoch(
        std::env::var("SOURCE_DATE_EPOCH").ok().filter(|v| !v.is_empty()).as_deref(),
    )
    .map_err(InputError::from)?;
    let opts = crate::exec::GcOptions {
        runs_dir: args.runs_dir,
        cache_dir: args.cache_dir,
        keep_last: args.keep_last,
        older_than: args.older_than,
        keep: args.keep,
        lockfiles: args.lockfile,
        dry_run: args.dry_run,
        now: chrono::DateTime::from_timestamp(clock.unix_seconds(), 0).unwrap_or_default(),
    };
    let report = crate::exec::gc(&opts)?;
    if args.json {
        super::out::write(format_args!(
            "{}\n",
            serde_json::to_string_pretty(&report).map_err(|e| Error::Internal(e.to_string()))?
        ));
        return Ok(exit_code::OK);
    }
    for b in &report.busy {
        tracing::warn!("pipeline `{b}` is running (its lock is held): its runs and leftovers were left alone");
    }
    for u in &report.unreadable {
        tracing::warn!("{}: run folder left alone", u.reason);
    }
    if let Some(why) = &report.cache_skipped {
        tracing::warn!("cache entries were not collected: {why}");
    }
    let verb = if report.dry_run { "would remove" } else { "removed" };
    for (what, items) in
        [("run", &report.runs), ("leftover", &report.leftovers), ("cache entry", &report.cache_entries)]
    {
        for i in items {
            outln!("{verb} {what} {} ({}; {})", i.path.display(), human_bytes(i.bytes), i.reason);
        }
    }
    let freed = if report.dry_run { "would free" } else { "freed" };
    outln!(
        "gc{}: {} runs, {} leftovers, {} cache entries; {freed} {}",
        if report.dry_run { " --dry-run" } else { "" },
        report.runs.len(),
        report.leftovers.len(),
        report.cache_entries.len(),
        human_bytes(report.freed_bytes)
    );
    Ok(exit_code::OK)
}

/// `5.6 MB`, `812 B`: decimal units, as `du --si` prints.
fn human_bytes(n: u64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "a size for people, one decimal")]
    let x = n as f64;
    match n {
        0..1_000 => format!("{n} B"),
        1_000..1_000_000 => format!("{:.1} kB", x / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", x / 1e6),
        _ => format!("{:.1} GB", x / 1e9),
    }
}
