import jax
import jax.numpy as jnp
import numpy as np

from nca_jax.train import es, pool


def test_reseed_worst_replaces_highest_loss_by_seed():
    rng = np.random.default_rng(0)
    target = rng.uniform(size=(4, 4, 4)).astype(np.float32)
    batch = rng.uniform(size=(5, 4, 4, 6)).astype(np.float32)
    seed = np.zeros((4, 4, 6), np.float32)
    seed[2, 2, 3:] = 1
    loss = ((batch[..., :4] - target) ** 2).mean(axis=(1, 2, 3))
    worst = int(np.argmax(loss))
    out = np.asarray(pool.reseed_worst(jnp.asarray(batch), jnp.asarray(target), jnp.asarray(seed)))
    np.testing.assert_array_equal(out[worst], seed)
    others = [i for i in range(5) if i != worst]
    np.testing.assert_array_equal(out[others], batch[others])


def test_sample_is_distinct_and_commit_writes_back():
    p = jnp.arange(10.0)[:, None, None, None] * jnp.ones((10, 2, 2, 4))
    idx, b = pool.sample(p, jax.random.PRNGKey(0), 4)
    assert len(set(np.asarray(idx).tolist())) == 4
    np.testing.assert_array_equal(np.asarray(b[:, 0, 0, 0]), np.asarray(idx, np.float32))
    p2 = np.asarray(pool.commit(p, idx, -b))
    for i in range(10):
        assert p2[i, 0, 0, 0] == (-i if i in np.asarray(idx) else i)


def test_es_pool_commits_only_best_member_and_only_living_grids():
    n, P, B = 6, 4, 3
    p = np.zeros((n, 3, 3, 5), np.float32)
    idx = np.array([4, 0, 2])
    x = np.full((B, 3, 3, 5), 7.0, np.float32)  # start batch (after reseeding)
    ys = np.random.default_rng(0).uniform(0.2, 1.0, size=(P, B, 3, 3, 5)).astype(np.float32)
    ys[2, 1, ..., 3] = 0.05  # best member's second grid died
    fitness = np.array([0.5, 0.3, 0.1, np.nan], np.float32)
    out = np.asarray(es.commit_best(jnp.asarray(p), jnp.asarray(idx), jnp.asarray(x),
                                          jnp.asarray(ys), jnp.asarray(fitness)))
    np.testing.assert_array_equal(out[4], ys[2, 0])
    np.testing.assert_array_equal(out[0], x[1])  # dead grid not committed
    np.testing.assert_array_equal(out[2], ys[2, 2])
    np.testing.assert_array_equal(out[[1, 3, 5]], p[[1, 3, 5]])


def test_es_pool_commits_nothing_but_the_start_batch_when_disabled():
    p = np.zeros((5, 3, 3, 5), np.float32)
    idx, x = np.array([3]), np.full((1, 3, 3, 5), 7.0, np.float32)
    ys = np.ones((2, 1, 3, 3, 5), np.float32)  # two members, both alive
    args = [jnp.asarray(a) for a in (p, idx, x, ys, np.array([0.2, 0.1], np.float32))]
    off = np.asarray(es.commit_best(*args, enabled=jnp.bool_(False)))
    np.testing.assert_array_equal(off[3], x[0])
    np.testing.assert_array_equal(off[[0, 1, 2, 4]], p[[0, 1, 2, 4]])
    np.testing.assert_array_equal(np.asarray(es.commit_best(*args))[3], ys[1, 0])


def test_sample_or_seed_gives_the_seed_or_the_sampled_slot():
    p = jnp.arange(6.0)[:, None, None, None] * jnp.ones((6, 2, 2, 4))
    seed = jnp.full((2, 2, 4), -1.0)
    idx, x = pool.sample_or_seed(p, jax.random.PRNGKey(3), seed, jnp.bool_(False))
    assert x.shape == (1, 2, 2, 4) and float(x[0, 0, 0, 0]) == float(idx[0])
    idx2, y = pool.sample_or_seed(p, jax.random.PRNGKey(3), seed, jnp.bool_(True))
    np.testing.assert_array_equal(np.asarray(y[0]), np.asarray(seed))
    assert int(idx2[0]) == int(idx[0])  # the same slot receives the result


def test_damage_best_erases_a_disc_from_the_lowest_loss_grids_only():
    n, h = 32, 32
    target = jnp.zeros((h, h, 4))
    # grid i is all (i + 1) / 10: loss grows with i, so grids 0 and 1 are the best two
    batch = jnp.stack([jnp.full((h, h, 4), (i + 1) / 10) for i in range(4)])
    for k in range(10):
        out = np.asarray(pool.damage_best(batch, target, jax.random.PRNGKey(k), 2))
        np.testing.assert_array_equal(out[2:], np.asarray(batch[2:]))
        for i in (0, 1):
            zero = np.all(out[i] == 0, axis=-1)
            np.testing.assert_array_equal(out[i][~zero], np.asarray(batch[i])[~zero])
            # a disc of radius 0.1..0.4 of the half-width (15.5 cells): its area in cells
            r_cells = np.sqrt(zero.sum() / np.pi)
            assert 0.1 * 15.5 - 1 <= r_cells <= 0.4 * 15.5 + 1, r_cells
            ys, xs = np.nonzero(zero)  # and it is one round blob: every cell near its centre
            d = np.hypot(ys - ys.mean(), xs - xs.mean())
            assert d.max() <= r_cells + 1.5
    assert pool.damage_best(batch, target, jax.random.PRNGKey(0), 0) is batch
