//! A dense HyperLogLog for visitor counts past their exact limit.
//!
//! `hyperloglogplus` starts every sketch in its sparse representation, which re-encodes a sorted
//! list every few inserts; with a dozen rows per line past the exact limit, that re-encoding was
//! a third of all instructions on a generated log (see `docs/performance.md`). Sets only reach a
//! sketch once they outgrow [`super::counter::exact_limit`], where the sparse form has little
//! left to save, so this sketch is dense from the start: one byte per register, an insert is a
//! hash mix, a shift and a max, and a merge is a register-wise max.
//!
//! Estimates use the original HyperLogLog estimator with linear counting below 2.5 m (Flajolet
//! et al. 2007); with 64-bit hashes no large-range correction is needed.

/// A HyperLogLog with `2^precision` one-byte registers.
#[derive(Clone)]
pub struct DenseHll {
    precision: u8,
    registers: Box<[u8]>,
}

impl std::fmt::Debug for DenseHll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DenseHll(p={}, ~{})", self.precision, self.count())
    }
}

/// The murmur3 finaliser: visitor keys are keyed SipHash outputs already, but mixing once more
/// keeps estimates right even for keys that are not uniform.
#[inline]
fn mix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

impl DenseHll {
    /// An empty sketch with standard error 1.04 / sqrt(2^precision); precision 4 to 18.
    pub fn new(precision: u8) -> DenseHll {
        assert!((4..=18).contains(&precision), "precision {precision}");
        DenseHll {
            precision,
            registers: vec![0; 1 << precision].into_boxed_slice(),
        }
    }

    #[inline]
    pub fn insert(&mut self, key: u64) {
        let p = u32::from(self.precision);
        let h = mix(key);
        let index = (h >> (64 - p)) as usize;
        // The remaining bits, with a stop bit so that the rank is at most 64 - p + 1.
        let rest = (h << p) | (1 << (p - 1));
        let rank = rest.leading_zeros() as u8 + 1;
        let register = &mut self.registers[index];
        if rank > *register {
            *register = rank;
        }
    }

    /// Register-wise maximum: the sketch of the union. Both must have the same precision.
    pub fn merge(&mut self, other: &DenseHll) {
        assert_eq!(
            self.precision, other.precision,
            "sketches of one precision merge"
        );
        for (mine, theirs) in self.registers.iter_mut().zip(other.registers.iter()) {
            *mine = (*mine).max(*theirs);
        }
    }

    pub fn count(&self) -> u64 {
        // Registers hold ranks up to 65 - p: count each rank, then sum 2^-rank per rank.
        let mut histogram = [0u32; 66];
        for &r in self.registers.iter() {
            histogram[usize::from(r)] += 1;
        }
        let sum: f64 = histogram
            .iter()
            .enumerate()
            .map(|(rank, &n)| f64::from(n) * (-(rank as f64)).exp2())
            .sum();
        let m = self.registers.len() as f64;
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let raw = alpha * m * m / sum;
        let zeros = histogram[0];
        let estimate = if raw <= 2.5 * m && zeros > 0 {
            m * (m / f64::from(zeros)).ln()
        } else {
            raw
        };
        estimate.round() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(range: std::ops::Range<u64>) -> impl Iterator<Item = u64> {
        range.map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29) ^ 0xA5A5)
    }

    #[test]
    fn estimates_stay_within_three_standard_errors_across_the_range() {
        // Linear counting, the switch point (2.5 m = 40,960) and the raw estimator.
        for (precision, sigma) in [(14, 0.0081), (12, 0.0163)] {
            let m = 1u64 << precision;
            for n in [m / 8, m, 2 * m, 5 * m / 2, 3 * m, 5 * m, 20 * m, 100 * m] {
                let mut hll = DenseHll::new(precision);
                keys(0..n).for_each(|k| hll.insert(k));
                let got = hll.count() as f64;
                let error = (got - n as f64).abs() / n as f64;
                assert!(
                    error < 3.0 * sigma,
                    "p{precision} {n}: {got} ({:.2}%)",
                    error * 100.0
                );
            }
        }
    }

    #[test]
    fn merge_is_the_union_and_repeats_do_not_count() {
        let mut a = DenseHll::new(14);
        let mut b = DenseHll::new(14);
        keys(0..30_000).for_each(|k| a.insert(k));
        keys(20_000..50_000).for_each(|k| b.insert(k));
        keys(0..1_000).for_each(|k| b.insert(k));
        a.merge(&b);
        let mut whole = DenseHll::new(14);
        keys(0..50_000).for_each(|k| whole.insert(k));
        assert_eq!(a.registers, whole.registers);
        assert_eq!(DenseHll::new(12).count(), 0);
    }
}
