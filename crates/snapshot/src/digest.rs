//! A short, ISA-independent summary of an instance's state, for comparing
//! two runs of one module (`TERN_STATE_DIGEST`): an uninterrupted run and a
//! restored one, or an x86-64 run and an AArch64 run, must agree on it.
//!
//! Values are summarized as a snapshot holds them (function references as
//! indices, exception references as indices into the exceptions list), so
//! no address enters the digest.

use std::fmt;

use crate::{Exception, TableState, Value};

/// CRC-32 summaries of globals, tables and each memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateDigest {
    /// Over the globals and the exception objects they (or tables) refer to.
    pub globals: u32,
    /// Over every table's elements.
    pub tables: u32,
    /// Each memory's size in bytes and the CRC-32 of its contents.
    pub memories: Vec<(u64, u32)>,
}

impl StateDigest {
    /// Summarizes `globals`, `tables`, the `exceptions` they refer to and the
    /// contents of each memory.
    pub fn new(
        globals: &[Value],
        tables: &[TableState],
        exceptions: &[Exception],
        memories: &[&[u8]],
    ) -> StateDigest {
        let globals_and_exceptions = crate::file::encode(&(globals, exceptions));
        StateDigest {
            globals: crc32fast::hash(&globals_and_exceptions),
            tables: crc32fast::hash(&crate::file::encode(&tables)),
            memories: memories
                .iter()
                .map(|m| (m.len() as u64, crc32fast::hash(m)))
                .collect(),
        }
    }
}

impl fmt::Display for StateDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "globals {:08x}, tables {:08x}",
            self.globals, self.tables
        )?;
        for (i, (bytes, crc)) in self.memories.iter().enumerate() {
            write!(f, ", memory {i} {bytes} bytes {crc:08x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_byte_global_or_element_changes_the_digest() {
        let memory = vec![0u8; 100];
        let globals = [Value::I32(7), Value::FuncRef(Some(2))];
        let tables = [TableState {
            elements: vec![Value::FuncRef(None)],
        }];
        let base = StateDigest::new(&globals, &tables, &[], &[&memory]);
        assert_eq!(base, StateDigest::new(&globals, &tables, &[], &[&memory]));

        let mut changed = memory.clone();
        changed[99] = 1;
        let d = StateDigest::new(&globals, &tables, &[], &[&changed]);
        assert_ne!(d.memories, base.memories);
        assert_eq!((d.globals, d.tables), (base.globals, base.tables));

        let other_globals = [Value::I32(7), Value::FuncRef(Some(3))];
        let d = StateDigest::new(&other_globals, &tables, &[], &[&memory]);
        assert_ne!(d.globals, base.globals);

        let other_tables = [TableState {
            elements: vec![Value::FuncRef(Some(0))],
        }];
        let d = StateDigest::new(&globals, &other_tables, &[], &[&memory]);
        assert_ne!(d.tables, base.tables);
        assert_eq!(
            base.to_string(),
            format!(
                "globals {:08x}, tables {:08x}, memory 0 100 bytes {:08x}",
                base.globals,
                base.tables,
                crc32fast::hash(&memory)
            )
        );
    }
}
