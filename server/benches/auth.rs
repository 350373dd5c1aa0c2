//! The cost of signing in: Argon2id hashing (account creation) and verification (each sign-in),
//! with the parameters `formwork serve` uses (19 MiB, 2 passes, 1 lane).
//!
//! `cargo bench -p formwork-server --bench auth`

use criterion::{Criterion, criterion_group, criterion_main};
use formwork_server::auth::{hash_password, token_hash, verify_password};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("sign_in");
    g.sample_size(20);
    let hash = hash_password("correct horse battery").expect("hash");
    g.bench_function("argon2id_verify", |b| {
        b.iter(|| verify_password(black_box(&hash), black_box("correct horse battery")))
    });
    g.bench_function("argon2id_hash", |b| {
        b.iter(|| hash_password(black_box("correct horse battery")))
    });
    g.finish();
    c.bench_function("session_token_hash", |b| {
        b.iter(|| {
            token_hash(black_box(
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
