//! The snapshot reader on arbitrary bytes: `from_bytes` returns `Ok` or
//! `Err`, never panics; whatever decodes re-encodes to bytes that decode to
//! the same snapshot, and applying its memories returns `Ok` or `Err`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tern_snapshot::memory::{DataArea, RawChunks};

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = tern_snapshot::file::from_bytes(data) {
        let area = file.data_bytes().expect("an in-memory data area reads");
        let again = tern_snapshot::file::to_bytes(&file.snapshot, &DataArea::from_bytes(&area));
        let back = tern_snapshot::file::from_bytes(&again).expect("re-encoded snapshot decodes");
        assert_eq!(back.snapshot, file.snapshot);
        for (i, image) in file.snapshot.memories.iter().enumerate() {
            if let Ok(len) = image.validate(file.data_len()) {
                if len <= 1 << 24 {
                    let mut bytes = vec![0u8; len as usize];
                    let _ = file.apply_memory(i, &mut bytes, RawChunks::Copy, 2);
                }
            }
        }
        let _ = file.verify_data();
    }
});
