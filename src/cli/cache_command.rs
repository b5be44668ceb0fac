//! `nethical cache verify`: prints what `Cache::check_all` found.

use serde_json::json;

use super::args::{CacheArgs, CacheCommand, CacheVerifyArgs};
use super::out::outln;
use crate::error::Error;
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
            serde_json::to_string_pretty(&json!({"cache": args.cache_dir, "ok": check.damaged.is_empty(), "check": check}))
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
