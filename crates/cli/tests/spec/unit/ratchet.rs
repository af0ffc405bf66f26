//! Unit tests of `ratchet.rs`.

use crate::runner::ratchet::*;

#[test]
fn parse_compare_update() {
    let mut r =
        Ratchet::parse("# comment\nx86_64 i32.wast 3\n\naarch64 f32.wast 1 # trailing\n").unwrap();
    assert_eq!(r.allowed("x86_64", "i32.wast"), 3);
    assert_eq!(r.allowed("aarch64", "i32.wast"), 0);
    assert_eq!(r.compare("x86_64", "i32.wast", 3), Comparison::AsExpected);
    assert_eq!(
        r.compare("x86_64", "i32.wast", 4),
        Comparison::Regression { allowed: 3 }
    );
    assert_eq!(
        r.compare("x86_64", "i32.wast", 1),
        Comparison::Improvement { allowed: 3 }
    );
    assert_eq!(
        r.compare("x86_64", "new.wast", 1),
        Comparison::Regression { allowed: 0 }
    );
    r.update("x86_64", "i32.wast", 0);
    r.update("x86_64", "br.wast", 2);
    let text = r.render();
    assert!(
        text.ends_with("aarch64 f32.wast 1\nx86_64 br.wast 2\n"),
        "{text}"
    );
    let again = Ratchet::parse(&text).unwrap();
    assert_eq!(again.allowed("x86_64", "br.wast"), 2);
    assert_eq!(again.allowed("x86_64", "i32.wast"), 0);
}

#[test]
fn rejects_bad_lines() {
    assert!(Ratchet::parse("x86_64 i32.wast").is_err());
    assert!(Ratchet::parse("x86_64 i32.wast many").is_err());
}
