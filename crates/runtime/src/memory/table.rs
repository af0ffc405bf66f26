//! Tables: pointer-sized elements behind a `VMTableDefinition`. Growing may
//! reallocate the elements; compiled code reloads the base from the definition.

use std::cell::{Cell, RefCell};

use tern_environ::TableType;

use crate::vmctx::VMTableDefinition;

/// Largest number of elements a table may hold.
pub const MAX_TABLE_ELEMENTS: u64 = 10_000_000;

/// A table access outside the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableOutOfBounds;

/// A table.
#[derive(Debug)]
pub struct Table {
    definition: Box<VMTableDefinition>,
    elements: RefCell<Vec<usize>>,
    ty: TableType,
}

impl Table {
    /// A table of type `ty` with every element set to `init`.
    ///
    /// # Errors
    /// Fails when the minimum size is beyond the implementation limit.
    pub fn new(ty: TableType, init: usize) -> Result<Table, String> {
        if ty.minimum > MAX_TABLE_ELEMENTS {
            return Err("table size exceeds implementation limit".into());
        }
        let table = Table {
            definition: Box::new(VMTableDefinition {
                base: Cell::new(std::ptr::null_mut()),
                length: Cell::new(0),
            }),
            elements: RefCell::new(vec![init; ty.minimum as usize]),
            ty,
        };
        table.sync();
        Ok(table)
    }

    fn sync(&self) {
        let mut elements = self.elements.borrow_mut();
        self.definition.base.set(elements.as_mut_ptr());
        self.definition.length.set(elements.len() as u64);
    }

    /// The declared type.
    pub fn ty(&self) -> &TableType {
        &self.ty
    }

    /// The type presented to import matching: current size as minimum.
    pub fn current_type(&self) -> TableType {
        TableType {
            minimum: self.len(),
            ..self.ty
        }
    }

    /// The definition compiled code reads.
    pub fn definition(&self) -> *const VMTableDefinition {
        &*self.definition
    }

    /// Number of elements.
    pub fn len(&self) -> u64 {
        self.elements.borrow().len() as u64
    }

    /// Whether the table has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `index`.
    ///
    /// # Errors
    /// [`TableOutOfBounds`] past the end.
    pub fn get(&self, index: u64) -> Result<usize, TableOutOfBounds> {
        self.elements
            .borrow()
            .get(index as usize)
            .copied()
            .filter(|_| index < self.len())
            .ok_or(TableOutOfBounds)
    }

    /// Sets element `index`.
    ///
    /// # Errors
    /// [`TableOutOfBounds`] past the end.
    pub fn set(&self, index: u64, value: usize) -> Result<(), TableOutOfBounds> {
        self.fill(index, value, 1)
    }

    /// Grows by `delta` elements set to `init`; returns the old size or `None`.
    pub fn grow(&self, delta: u64, init: usize) -> Option<u64> {
        let old = self.len();
        let new = old.checked_add(delta)?;
        let max = self.ty.maximum.unwrap_or(u64::MAX).min(MAX_TABLE_ELEMENTS);
        if new > max {
            return None;
        }
        self.elements.borrow_mut().resize(new as usize, init);
        self.sync();
        Some(old)
    }

    fn range(&self, start: u64, len: u64) -> Result<std::ops::Range<usize>, TableOutOfBounds> {
        match start.checked_add(len) {
            Some(end) if end <= self.len() => Ok(start as usize..end as usize),
            _ => Err(TableOutOfBounds),
        }
    }

    /// Sets `len` elements from `start` to `value`.
    ///
    /// # Errors
    /// [`TableOutOfBounds`] if the range is outside (even when `len` is 0).
    pub fn fill(&self, start: u64, value: usize, len: u64) -> Result<(), TableOutOfBounds> {
        let range = self.range(start, len)?;
        self.elements.borrow_mut()[range].fill(value);
        Ok(())
    }

    /// Writes `values` from `start`.
    ///
    /// # Errors
    /// [`TableOutOfBounds`] if the range is outside.
    pub fn init(&self, start: u64, values: &[usize]) -> Result<(), TableOutOfBounds> {
        let range = self.range(start, values.len() as u64)?;
        self.elements.borrow_mut()[range].copy_from_slice(values);
        Ok(())
    }

    /// Copies `len` elements from `src` at `src_index` to `dst` at `dst_index`
    /// (the tables may be the same; overlap is handled).
    ///
    /// # Errors
    /// [`TableOutOfBounds`] if either range is outside.
    pub fn copy(
        dst: &Table,
        dst_index: u64,
        src: &Table,
        src_index: u64,
        len: u64,
    ) -> Result<(), TableOutOfBounds> {
        let d = dst.range(dst_index, len)?;
        let s = src.range(src_index, len)?;
        if std::ptr::eq(dst, src) {
            dst.elements.borrow_mut().copy_within(s, d.start);
        } else {
            let src_elems = src.elements.borrow();
            dst.elements.borrow_mut()[d].copy_from_slice(&src_elems[s]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tern_environ::RefType;

    #[test]
    fn grow_moves_base_and_respects_maximum() {
        let t = Table::new(
            TableType {
                element: RefType::FUNCREF,
                minimum: 2,
                maximum: Some(5),
                table64: false,
            },
            0,
        )
        .unwrap();
        assert_eq!(t.grow(3, 7), Some(2));
        assert_eq!(t.get(4), Ok(7));
        assert_eq!(t.get(5), Err(TableOutOfBounds));
        assert_eq!(t.grow(1, 0), None);
        // SAFETY: the definition is a live box owned by `t`.
        let def = unsafe { &*t.definition() };
        assert_eq!(def.length.get(), 5);
        t.set(0, 1).unwrap();
        Table::copy(&t, 1, &t, 0, 4).unwrap();
        assert_eq!(
            (0..5).map(|i| t.get(i).unwrap()).collect::<Vec<_>>(),
            vec![1, 1, 0, 7, 7]
        );
        assert_eq!(t.fill(5, 0, 0), Ok(()));
        assert_eq!(t.fill(6, 0, 0), Err(TableOutOfBounds));
    }
}
