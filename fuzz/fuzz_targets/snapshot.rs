//! The snapshot reader on arbitrary bytes: `from_bytes` returns `Ok` or
//! `Err`, never panics; whatever decodes re-encodes to bytes that decode to
//! the same snapshot.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(snapshot) = tern_snapshot::file::from_bytes(data) {
        let again = tern_snapshot::file::to_bytes(&snapshot);
        let back = tern_snapshot::file::from_bytes(&again).expect("re-encoded snapshot decodes");
        assert_eq!(back, snapshot);
        for image in &snapshot.memories {
            if let Ok(len) = image.validate() {
                if len <= 1 << 24 {
                    let mut bytes = vec![0u8; len as usize];
                    let _ = image.apply(&mut bytes);
                }
            }
        }
    }
});
