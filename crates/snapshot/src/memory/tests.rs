use super::*;

fn pattern(pages: usize, fill: impl Fn(usize, &mut [u8])) -> Vec<u8> {
    let mut mem = vec![0u8; pages * CHUNK];
    for (i, chunk) in mem.chunks_mut(CHUNK).enumerate() {
        fill(i, chunk);
    }
    mem
}

fn random(chunk: &mut [u8], seed: u32) {
    let mut x = seed | 1;
    for b in chunk {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        *b = (x >> 16) as u8;
    }
}

fn whole(data: &DataArea<'_>) -> Vec<u8> {
    data.parts().flat_map(|p| p.iter().copied()).collect()
}

fn round_trip(mem: &[u8], options: EncodeOptions) -> Encoded<'_> {
    let enc = encode(
        &[MemorySource {
            pages: (mem.len() / CHUNK) as u64,
            bytes: mem,
        }],
        options,
    );
    let data = whole(&enc.data);
    assert_eq!(data.len() as u64, enc.data.len());
    enc.images[0].validate(data.len() as u64).unwrap();
    let mut back = vec![0u8; mem.len()];
    let stored = StoredBytes {
        base: 0,
        bytes: &data,
    };
    apply(
        &enc.images[0],
        &mut back,
        RawChunks::Copy,
        options.threads,
        stored,
    )
    .unwrap();
    assert!(back == mem, "round trip");
    enc
}

#[test]
fn zero_chunks_are_elided_and_data_round_trips() {
    let mem = pattern(6, |i, c| match i {
        0 => c[5] = 1,
        3 => c[CHUNK - 1] = 9,
        4 => random(c, 4),
        _ => {}
    });
    let enc = round_trip(&mem, EncodeOptions::default());
    let indices: Vec<u64> = enc.images[0].chunks.iter().map(|c| c.index).collect();
    assert_eq!(indices, vec![0, 3, 4]);
    assert_eq!(enc.images[0].nonzero_bytes(), 3 * CHUNK as u64);
    assert_eq!(
        enc.stats,
        EncodeStats {
            zero: 3,
            raw: 1,
            compressed: 2
        }
    );
}

#[test]
fn incompressible_chunks_are_raw_and_compressible_ones_compressed() {
    let mem = pattern(4, |i, c| {
        if i % 2 == 0 {
            random(c, i as u32)
        } else {
            c.iter_mut()
                .enumerate()
                .for_each(|(k, b)| *b = (k / 100) as u8)
        }
    });
    for codec in [Codec::Lz4, Codec::Zstd] {
        let enc = round_trip(&mem, EncodeOptions { codec, threads: 1 });
        let kinds: Vec<Encoding> = enc.images[0].chunks.iter().map(|c| c.encoding).collect();
        let z = if codec == Codec::Lz4 {
            Encoding::Lz4
        } else {
            Encoding::Zstd
        };
        assert_eq!(kinds, vec![Encoding::Raw, z, Encoding::Raw, z]);
        // Raw chunks first, at multiples of CHUNK, then the compressed ones.
        let c = &enc.images[0].chunks;
        assert_eq!((c[0].offset, c[2].offset), (0, CHUNK as u64));
        assert!(c[1].offset >= 2 * CHUNK as u64 && c[1].len as usize <= MAX_COMPRESSED);
        // Consecutive raw chunks are one borrowed run: nothing copied.
        assert!(enc.data.len() < mem.len() as u64);
    }
    let enc = round_trip(
        &mem,
        EncodeOptions {
            codec: Codec::None,
            threads: 1,
        },
    );
    assert!(enc.images[0]
        .chunks
        .iter()
        .all(|c| c.encoding == Encoding::Raw));
    assert_eq!(enc.data.parts().count(), 1, "one run of four raw chunks");
}

#[test]
fn parallel_encoding_and_decoding_give_the_same_result() {
    // Enough chunks for several threads; mixed zero, raw and compressed.
    let mem = pattern(300, |i, c| match i % 3 {
        0 => random(c, i as u32),
        1 => c[i] = i as u8,
        _ => {}
    });
    let one = round_trip(
        &mem,
        EncodeOptions {
            codec: Codec::Lz4,
            threads: 1,
        },
    );
    let four = round_trip(
        &mem,
        EncodeOptions {
            codec: Codec::Lz4,
            threads: 4,
        },
    );
    assert_eq!(one.images, four.images);
    assert_eq!(whole(&one.data), whole(&four.data));
}

#[test]
fn corruption_of_each_part_is_rejected() {
    let mem = pattern(2, |i, c| if i == 0 { random(c, 1) } else { c[10] = 1 });
    let enc = encode(
        &[MemorySource {
            pages: 2,
            bytes: &mem,
        }],
        EncodeOptions::default(),
    );
    let data = whole(&enc.data);
    let image = &enc.images[0];
    let apply_with = |image: &MemoryImage, data: &[u8], raw: RawChunks| {
        let mut back = vec![0u8; mem.len()];
        image.validate(data.len() as u64)?;
        apply(
            image,
            &mut back,
            raw,
            1,
            StoredBytes {
                base: 0,
                bytes: data,
            },
        )
        .map(|_| back)
    };
    assert!(apply_with(image, &data, RawChunks::Copy).is_ok());
    // A flipped byte in the raw chunk and in the compressed chunk.
    for at in [100, CHUNK + 3] {
        let mut d = data.clone();
        d[at] ^= 0x10;
        let e = apply_with(image, &d, RawChunks::Copy).unwrap_err();
        assert!(matches!(e, MemoryImageError::Corrupt { .. }), "{e}");
    }
    // A raw chunk already in memory is checked in place.
    let mut back = mem.clone();
    back[7] ^= 1;
    let stored = StoredBytes {
        base: 0,
        bytes: &data,
    };
    assert!(apply(image, &mut back, RawChunks::VerifyInPlace, 1, stored).is_err());
    let mut back = mem.clone();
    back[7] ^= 1;
    let stats = apply(image, &mut back, RawChunks::Trust, 1, stored).unwrap();
    assert_eq!((stats.raw_lazy, stats.decompressed), (1, 1));
    // Compressed bytes that pass the checksum but do not decode to a chunk.
    let mut bad = image.clone();
    let c = bad.chunks[1];
    let mut d = data.clone();
    let at = c.offset as usize;
    d[at..at + c.len as usize].fill(0x5a);
    bad.chunks[1].crc32 = crc32fast::hash(&d[at..at + c.len as usize]);
    let e = apply_with(&bad, &d, RawChunks::Copy).unwrap_err();
    assert!(
        matches!(e, MemoryImageError::Corrupt { index: 1, .. }),
        "{e}"
    );
    // Table entries outside the memory or the data.
    let mut bad = image.clone();
    bad.chunks[1].index = 2;
    assert!(bad.validate(data.len() as u64).is_err());
    let mut bad = image.clone();
    bad.chunks[0].offset = 8;
    assert!(
        bad.validate(data.len() as u64).is_err(),
        "misaligned raw chunk"
    );
    let mut bad = image.clone();
    bad.chunks[1].offset = data.len() as u64;
    assert!(bad.validate(data.len() as u64).is_err(), "past the data");
}

#[test]
fn zero_scan_sees_every_byte() {
    let mut chunk = vec![0u8; CHUNK];
    assert!(is_zero(&chunk));
    for at in [0, 7, 8, 511, 512, CHUNK - 1] {
        chunk[at] = 1;
        assert!(!is_zero(&chunk), "{at}");
        chunk[at] = 0;
    }
    assert!(!is_zero(&[0, 0, 0, 1]));
}
