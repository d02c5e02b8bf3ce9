#include "shgo.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>

#include <boost/random/sobol.hpp>
#include <nlopt.hpp>

namespace coex::shgo {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
/// Cap on simplicial vertices: beyond it a refinement is refused (use Sobol sampling instead).
constexpr std::size_t kMaxSimplicialVertices = std::size_t{1} << 20;

/// Internal: a limit of the search (maxfev, maxtime) or shgo::Stop from the user was hit.
struct LimitReached {
  std::string why;
  bool user = false;
};

struct Vertex {
  Vector u;  ///< box-normalised coordinates in [0,1]^d
  Vector x;  ///< coordinates in the box
  double f = kInf;
  double violation = 0;  ///< sum of constraint violations (0 when feasible)
  bool used_as_start = false;
};

double sq_dist(const Vector& a, const Vector& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += (a[i] - b[i]) * (a[i] - b[i]);
  return s;
}

std::size_t round_up_pow2(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

class Solver {
 public:
  Solver(const Objective& f, const Vector& lo, const Vector& hi, const Constraints& g,
         const Options& o)
      : f_(f),
        g_(g),
        lo_(lo),
        hi_(hi),
        o_(o),
        d_(lo.size()),
        start_(std::chrono::steady_clock::now()) {
    if (lo.empty() || lo.size() != hi.size())
      throw std::invalid_argument("shgo: bounds must be non-empty and of equal size");
    for (std::size_t i = 0; i < d_; ++i)
      if (!(lo[i] < hi[i]) || !std::isfinite(lo[i]) || !std::isfinite(hi[i]))
        throw std::invalid_argument("shgo: bound " + std::to_string(i) +
                                    " must satisfy finite lo < hi");
    sampling_ = o.sampling;
    if (sampling_ == Sampling::kAuto) sampling_ = g_ ? Sampling::kSobol : Sampling::kSimplicial;
    if (o.iters == 0 && !o.maxfev && !o.maxev && o.maxtime <= 0 && !o.f_min && !o.minhgrd)
      throw std::invalid_argument("shgo: iters = 0 needs another stopping limit");
  }

  Result run() {
    Result r;
    std::size_t minima_before = 0;
    try {
      for (std::size_t it = 1; o_.iters == 0 || it <= o_.iters; ++it) {
        const std::size_t added =
            sampling_ == Sampling::kSimplicial ? sample_simplicial(it) : sample_sobol(it);
        const auto pool = sampling_ == Sampling::kSimplicial ? pool_simplicial(it) : pool_sobol();
        pool_total_ += pool.size();
        minimise_from(pool);
        nit_ = it;
        if (f_min_reached()) {
          message_ = "f_min reached";
          success_override_ = true;
          break;
        }
        if (o_.minhgrd && it > 1 && minima_.size() - minima_before <= *o_.minhgrd) {
          message_ = "homology growth <= minhgrd";
          break;
        }
        minima_before = minima_.size();
        if (o_.maxev && vertices_.size() >= o_.maxev) {
          message_ = "maxev reached";
          break;
        }
        if (o_.maxfev && nfev_ >= o_.maxfev) {
          message_ = "maxfev reached";
          break;
        }
        if (o_.maxtime > 0 && elapsed() >= o_.maxtime) {
          message_ = "maxtime reached";
          break;
        }
        if (o_.on_iteration && !o_.on_iteration(it)) {
          message_ = "stopped by the iteration callback";
          break;
        }
        if (added == 0) {
          message_ = sampling_exhausted_.empty() ? "no new sample points" : sampling_exhausted_;
          break;
        }
      }
      if (message_.empty()) message_ = "iterations completed";
    } catch (const LimitReached& l) {
      message_ = l.why;
      r.stopped_early = l.user;
    }
    finish(r);
    return r;
  }

 private:
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

  void check_limits() {
    if (o_.maxfev && nfev_ >= o_.maxfev) throw LimitReached{"maxfev reached", false};
    if (o_.maxtime > 0 && elapsed() >= o_.maxtime) throw LimitReached{"maxtime reached", false};
  }

  Vector to_x(const Vector& u) const {
    Vector x(d_);
    for (std::size_t i = 0; i < d_; ++i) x[i] = lo_[i] + u[i] * (hi_[i] - lo_[i]);
    return x;
  }
  Vector to_u(const Vector& x) const {
    Vector u(d_);
    for (std::size_t i = 0; i < d_; ++i) u[i] = (x[i] - lo_[i]) / (hi_[i] - lo_[i]);
    return u;
  }

  double call_f(const Vector& x) {
    check_limits();
    double v;
    try {
      v = f_(x);
    } catch (const Stop&) {
      throw LimitReached{"stopped by the objective", true};
    }
    ++nfev_;
    return std::isnan(v) ? kInf : v;
  }

  double violation_of(const Vector& x) {
    if (!g_) return 0;
    Vector c;
    try {
      c = g_(x);
    } catch (const Stop&) {
      throw LimitReached{"stopped by the constraints", true};
    }
    double v = 0;
    for (double ci : c) v += ci < 0 || std::isnan(ci) ? (std::isnan(ci) ? kInf : -ci) : 0;
    return v;
  }

  /// Adds the vertex at unit coordinates `u` (if new) and evaluates it: constraints first, f
  /// only where they hold (+inf elsewhere, as scipy's infty_constraints).
  std::size_t add_vertex(const Vector& u) {
    auto [it, fresh] = index_.emplace(u, vertices_.size());
    if (!fresh) return it->second;
    if (o_.maxev && vertices_.size() >= o_.maxev) {
      index_.erase(it);
      throw LimitReached{"maxev reached", false};
    }
    Vertex v;
    v.u = u;
    v.x = to_x(u);
    v.violation = violation_of(v.x);
    vertices_.push_back(v);  // before f: a Stop inside f leaves a consistent (unevaluated) vertex
    if (vertices_.back().violation <= 0) vertices_.back().f = call_f(vertices_.back().x);
    return it->second;
  }

  /// add_vertex for each of `us` in order, after handing the new ones to Options::prefetch.
  void add_vertices(const std::vector<Vector>& us) {
    if (o_.prefetch && !o_.maxfev && !(o_.maxtime > 0)) {
      std::vector<Vector> fresh;
      std::set<Vector> seen;
      const std::size_t room =
          o_.maxev ? (o_.maxev > vertices_.size() ? o_.maxev - vertices_.size() : 0) : us.size();
      for (const auto& u : us) {
        if (fresh.size() >= room) break;
        if (!index_.count(u) && seen.insert(u).second) fresh.push_back(to_x(u));
      }
      if (fresh.size() > 1) {
        try {
          o_.prefetch(fresh);
        } catch (const Stop&) {
          throw LimitReached{"stopped by the objective", true};
        }
      }
    }
    for (const auto& u : us) add_vertex(u);
  }

  // ---------------- simplicial ----------------

  static std::size_t ipow(std::size_t b, std::size_t e) {
    std::size_t r = 1;
    for (std::size_t i = 0; i < e; ++i) {
      if (r > kMaxSimplicialVertices) return r;
      r *= b;
    }
    return r;
  }

  /// Level L lattice: m = 2^(L-1) cells per axis; corners (m+1)^d and m^d centroids.
  std::size_t sample_simplicial(std::size_t level) {
    const std::size_t m = std::size_t{1} << (level - 1);
    if (level > 30 || ipow(m + 1, d_) + ipow(m, d_) > kMaxSimplicialVertices) {
      sampling_exhausted_ = "simplicial refinement would exceed " +
                            std::to_string(kMaxSimplicialVertices) +
                            " vertices (use Sobol sampling in high dimensions)";
      level_ = 0;
      return 0;
    }
    level_ = level;
    const std::size_t before = vertices_.size();
    // Corners, in mixed-radix order (first coordinate slowest), then centroids.
    std::vector<std::size_t> a(d_, 0);
    const double md = static_cast<double>(m);
    std::vector<Vector> us;
    for (;;) {
      Vector u(d_);
      for (std::size_t i = 0; i < d_; ++i) u[i] = static_cast<double>(a[i]) / md;
      us.push_back(std::move(u));
      if (!next_index(a, m + 1)) break;
    }
    std::fill(a.begin(), a.end(), 0);
    for (;;) {
      Vector u(d_);
      for (std::size_t i = 0; i < d_; ++i) u[i] = (2.0 * static_cast<double>(a[i]) + 1) / (2 * md);
      us.push_back(std::move(u));
      if (!next_index(a, m)) break;
    }
    add_vertices(us);
    return vertices_.size() - before;
  }

  bool next_index(std::vector<std::size_t>& a, std::size_t radix) const {
    for (std::size_t i = d_; i-- > 0;) {
      if (++a[i] < radix) return true;
      a[i] = 0;
    }
    return false;
  }

  const Vertex* corner(const std::vector<std::size_t>& a, double md) const {
    Vector u(d_);
    for (std::size_t i = 0; i < d_; ++i) u[i] = static_cast<double>(a[i]) / md;
    auto it = index_.find(u);
    return it == index_.end() ? nullptr : &vertices_[it->second];
  }

  /// True if `v` is strictly below every vertex linked to it in the level's complex.
  bool is_minimiser_simplicial(const Vertex& v, std::size_t m) const {
    const double md = static_cast<double>(m);
    // Is v a corner (all coordinates on the lattice) or a centroid?
    std::vector<std::size_t> a(d_);
    bool is_corner = true;
    for (std::size_t i = 0; i < d_; ++i) {
      const double s = v.u[i] * md;
      a[i] = static_cast<std::size_t>(std::llround(s));
      if (std::abs(s - static_cast<double>(a[i])) > 1e-9) is_corner = false;
    }
    auto lower = [&](const Vertex* w) { return w && !(v.f < w->f); };
    const std::size_t ncorner = std::size_t{1} << d_;
    if (!is_corner) {
      std::vector<std::size_t> c(d_), k(d_);
      for (std::size_t i = 0; i < d_; ++i) c[i] = static_cast<std::size_t>(std::floor(v.u[i] * md));
      for (std::size_t b = 0; b < ncorner; ++b) {
        for (std::size_t i = 0; i < d_; ++i) k[i] = c[i] + ((b >> i) & 1U);
        if (lower(corner(k, md))) return false;
      }
      return true;
    }
    // Corner a: for every cell c containing it (c_i in {a_i-1, a_i} within the lattice).
    std::vector<std::size_t> c(d_), k(d_);
    for (std::size_t cm = 0; cm < ncorner; ++cm) {
      bool ok = true;
      std::size_t bits = 0;  // a's local position in the cell: bit i set <=> a_i = c_i + 1
      for (std::size_t i = 0; i < d_ && ok; ++i) {
        const bool up = (cm >> i) & 1U;  // cell below along axis i
        if (up) {
          if (a[i] == 0)
            ok = false;
          else
            c[i] = a[i] - 1, bits |= std::size_t{1} << i;
        } else {
          if (a[i] == m)
            ok = false;
          else
            c[i] = a[i];
        }
      }
      if (!ok) continue;
      // The cell's centroid.
      Vector cu(d_);
      for (std::size_t i = 0; i < d_; ++i) cu[i] = (2.0 * static_cast<double>(c[i]) + 1) / (2 * md);
      if (auto it = index_.find(cu); it != index_.end() && lower(&vertices_[it->second]))
        return false;
      // Comparable corners of the cell, minus the main diagonal pair.
      const std::size_t full = ncorner - 1;
      for (std::size_t b = 0; b < ncorner; ++b) {
        if (b == bits) continue;
        const bool sub = (b & bits) == b, super = (b & bits) == bits;
        if (!sub && !super) continue;
        if ((bits == 0 && b == full) || (bits == full && b == 0)) continue;
        for (std::size_t i = 0; i < d_; ++i) k[i] = c[i] + ((b >> i) & 1U);
        if (lower(corner(k, md))) return false;
      }
    }
    return true;
  }

  std::vector<std::size_t> pool_simplicial(std::size_t level) const {
    std::vector<std::size_t> pool;
    if (level_ == 0) return pool;
    const std::size_t m = std::size_t{1} << (level - 1);
    for (std::size_t i = 0; i < vertices_.size(); ++i)
      if (std::isfinite(vertices_[i].f) && is_minimiser_simplicial(vertices_[i], m))
        pool.push_back(i);
    return pool;
  }

  // ---------------- Sobol ----------------

  std::size_t sample_sobol(std::size_t) {
    const std::size_t n = round_up_pow2(std::max<std::size_t>(o_.n, 1));
    const auto pts = sobol_points(d_, n, sobol_used_, o_.sobol_shift_seed);
    sobol_used_ += n;
    const std::size_t before = vertices_.size();
    add_vertices(pts);
    // Earlier local minima join the complex (their f is already known).
    for (const auto& lm : minima_) {
      Vector u = to_u(lm.x);
      if (index_.count(u)) continue;
      index_.emplace(u, vertices_.size());
      Vertex v;
      v.u = u;
      v.x = lm.x;
      v.f = lm.feasible ? lm.f : kInf;
      v.violation = lm.feasible ? 0 : 1;
      v.used_as_start = true;
      vertices_.push_back(v);
    }
    return vertices_.size() - before;
  }

  /// Gabriel graph: u and w are linked iff no other vertex lies strictly inside the ball whose
  /// diameter is uw.
  bool gabriel(std::size_t a, std::size_t b) const {
    const Vector& ua = vertices_[a].u;
    const Vector& ub = vertices_[b].u;
    Vector mid(d_);
    for (std::size_t i = 0; i < d_; ++i) mid[i] = 0.5 * (ua[i] + ub[i]);
    const double r2 = 0.25 * sq_dist(ua, ub);
    for (std::size_t k = 0; k < vertices_.size(); ++k) {
      if (k == a || k == b) continue;
      if (sq_dist(vertices_[k].u, mid) < r2 * (1 - 1e-12)) return false;
    }
    return true;
  }

  std::vector<std::size_t> pool_sobol() const {
    std::vector<std::size_t> pool;
    const std::size_t nv = vertices_.size();
    for (std::size_t v = 0; v < nv; ++v) {
      if (!std::isfinite(vertices_[v].f)) continue;
      // Only vertices at or below f(v) can disqualify v; try the nearest first (the nearest
      // neighbour is always a Gabriel neighbour).
      std::vector<std::pair<double, std::size_t>> cand;
      for (std::size_t w = 0; w < nv; ++w)
        if (w != v && !(vertices_[v].f < vertices_[w].f))
          cand.emplace_back(sq_dist(vertices_[v].u, vertices_[w].u), w);
      std::sort(cand.begin(), cand.end());
      bool minimiser = true;
      for (const auto& [dist, w] : cand)
        if (gabriel(v, w)) {
          minimiser = false;
          break;
        }
      if (minimiser) pool.push_back(v);
    }
    return pool;
  }

  // ---------------- local solves ----------------

  struct LocalProblem {
    Solver* self;
    std::exception_ptr error;
    std::optional<LimitReached> limit;
  };

  double eval_for_local(const Vector& x) {
    const double v = call_f(x);
    ++nlfev_;
    return std::isfinite(v) ? v : 1e300;
  }

  /// The forward-difference neighbour of x along axis i and its signed step (backward when the
  /// forward point would leave the local box).
  std::pair<Vector, double> fd_point(const Vector& x, unsigned i) const {
    const double h = o_.fd_step * std::max(1.0, std::abs(x[i]));
    const double step = x[i] + h > local_hi_[i] ? -h : h;
    Vector xp = x;
    xp[i] += step;
    return {std::move(xp), step};
  }

  static double nlopt_objective(unsigned n, const double* x, double* grad, void* data) {
    auto& lp = *static_cast<LocalProblem*>(data);
    Solver& s = *lp.self;
    try {
      Vector xv(x, x + n);
      const double f0 = s.eval_for_local(xv);
      if (grad) {
        for (unsigned i = 0; i < n; ++i) {
          const auto [xp, step] = s.fd_point(xv, i);
          grad[i] = (s.eval_for_local(xp) - f0) / step;
        }
      }
      return f0;
    } catch (const LimitReached& l) {
      lp.limit = l;
    } catch (...) {
      lp.error = std::current_exception();
    }
    throw nlopt::forced_stop();
  }

  static void nlopt_constraints(unsigned m, double* result, unsigned n, const double* x,
                                double* grad, void* data) {
    auto& lp = *static_cast<LocalProblem*>(data);
    Solver& s = *lp.self;
    try {
      auto cons = [&](const Vector& xv) {
        Vector c;
        try {
          c = s.g_(xv);
        } catch (const Stop&) {
          throw LimitReached{"stopped by the constraints", true};
        }
        if (c.size() != m) throw std::runtime_error("shgo: constraints changed their count");
        return c;
      };
      Vector xv(x, x + n);
      const Vector c0 = cons(xv);
      for (unsigned j = 0; j < m; ++j) result[j] = -c0[j];  // NLopt: fc(x) <= 0
      if (grad) {
        for (unsigned i = 0; i < n; ++i) {
          const auto [xp, step] = s.fd_point(xv, i);
          const Vector c1 = cons(xp);
          for (unsigned j = 0; j < m; ++j) grad[j * n + i] = -(c1[j] - c0[j]) / step;
        }
      }
      return;
    } catch (const LimitReached& l) {
      lp.limit = l;
    } catch (...) {
      lp.error = std::current_exception();
    }
    throw nlopt::forced_stop();
  }

  void local_solve(std::size_t start) {
    Vertex& sv = vertices_[start];
    sv.used_as_start = true;
    local_lo_ = lo_;
    local_hi_ = hi_;
    if (o_.shrink_local_bounds && sampling_ == Sampling::kSimplicial && level_ > 0) {
      const double half = 0.5 / static_cast<double>(std::size_t{1} << (level_ - 1));
      for (std::size_t i = 0; i < d_; ++i) {
        local_lo_[i] = std::max(lo_[i], lo_[i] + (sv.u[i] - half) * (hi_[i] - lo_[i]));
        local_hi_[i] = std::min(hi_[i], lo_[i] + (sv.u[i] + half) * (hi_[i] - lo_[i]));
      }
    }
    LocalMinimum lm;
    lm.x = sv.x;
    lm.f = sv.f;
    if (o_.local != LocalMethod::kNone) {
      nlopt::opt opt(o_.local == LocalMethod::kSlsqp ? nlopt::LD_SLSQP : nlopt::LN_COBYLA,
                     static_cast<unsigned>(d_));
      opt.set_lower_bounds(local_lo_);
      opt.set_upper_bounds(local_hi_);
      LocalProblem lp{this, nullptr, std::nullopt};
      opt.set_min_objective(&Solver::nlopt_objective, &lp);
      std::size_t ncons = 0;
      if (g_) {
        ncons = g_(sv.x).size();
        if (ncons)
          opt.add_inequality_mconstraint(&Solver::nlopt_constraints, &lp,
                                         Vector(ncons, o_.constraint_tol * 0.1));
      }
      opt.set_ftol_abs(o_.local_ftol);
      opt.set_ftol_rel(o_.local_ftol);
      opt.set_maxeval(static_cast<int>(o_.local_maxeval));
      if (o_.local_xtol.size() == d_) {
        Vector xtol(d_);
        for (std::size_t i = 0; i < d_; ++i) xtol[i] = o_.local_xtol[i] * (hi_[i] - lo_[i]);
        opt.set_xtol_abs(xtol);
      }
      if (o_.local == LocalMethod::kCobyla) {
        Vector step(d_);
        for (std::size_t i = 0; i < d_; ++i)
          step[i] = (o_.initial_step.size() == d_ ? o_.initial_step[i] : 0.05) * (hi_[i] - lo_[i]);
        opt.set_initial_step(step);
      }
      Vector x = sv.x;
      double fx = sv.f;
      try {
        opt.optimize(x, fx);
      } catch (const nlopt::forced_stop&) {
        if (lp.error) std::rethrow_exception(lp.error);
        if (lp.limit) {
          // Keep what the solve reached if it improves on the start.
          if (fx < sv.f && std::isfinite(fx)) record({x, fx, violation_of(x) <= o_.constraint_tol});
          throw *lp.limit;
        }
      } catch (const nlopt::roundoff_limited&) {
        // Keep the point reached.
      } catch (const std::invalid_argument&) {
        // The start may sit on a bound where NLopt refuses; keep the start.
      } catch (const std::runtime_error&) {
        // nlopt::failure: keep the best point it reports (or the start).
      }
      if (std::isfinite(fx) && fx < 1e300) {
        lm.x = x;
        lm.f = fx;
      }
    }
    lm.feasible = violation_of(lm.x) <= o_.constraint_tol;
    record(lm);
  }

  void record(LocalMinimum lm) {
    const Vector u = to_u(lm.x);
    for (auto& m : minima_) {
      if (same_point(to_u(m.x), u)) {
        if (lm.feasible && (!m.feasible || lm.f < m.f)) m = lm;
        return;
      }
    }
    minima_.push_back(std::move(lm));
    latest_ = minima_.back().x;
  }

  /// Two box-normalised points closer than 1e-8 in every coordinate are one point.
  static bool same_point(const Vector& a, const Vector& b) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (std::abs(a[i] - b[i]) > 1e-8) return false;
    return true;
  }

  bool equals_known_minimum(const Vertex& v) const {
    for (const auto& m : minima_)
      if (same_point(to_u(m.x), v.u)) return true;
    return false;
  }

  void minimise_from(std::vector<std::size_t> pool) {
    // scipy#19032: with no feasible sample at all, start from the least-violating points.
    if (pool.empty() && g_) {
      bool any_feasible = false;
      for (const auto& v : vertices_) any_feasible |= std::isfinite(v.f);
      if (!any_feasible) {
        std::vector<std::size_t> order(vertices_.size());
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
          return vertices_[a].violation < vertices_[b].violation;
        });
        for (std::size_t k = 0; k < std::min<std::size_t>(3, order.size()); ++k)
          if (!vertices_[order[k]].used_as_start) {
            Vertex& v = vertices_[order[k]];
            v.f = call_f(v.x);  // needed as the local solver's start value
            pool.push_back(order[k]);
          }
      }
    }
    // A pool left empty by ties (plateaus, symmetric samples: no vertex is strictly below all its
    // neighbours) would end the search at a sample; start from the lowest feasible vertex instead
    // (scipy returns that vertex unrefined with success = false).
    if (pool.empty()) {
      std::size_t best = vertices_.size();
      for (std::size_t i = 0; i < vertices_.size(); ++i)
        if (std::isfinite(vertices_[i].f) && !vertices_[i].used_as_start &&
            (best == vertices_.size() || vertices_[i].f < vertices_[best].f))
          best = i;
      if (best < vertices_.size()) pool.push_back(best);
    }
    std::erase_if(pool, [&](std::size_t i) {
      return vertices_[i].used_as_start || equals_known_minimum(vertices_[i]);
    });
    std::sort(pool.begin(), pool.end(),
              [&](std::size_t a, std::size_t b) { return vertices_[a].f < vertices_[b].f; });
    std::size_t solves = 0;
    bool first = true;
    while (!pool.empty()) {
      if (o_.local_iter && solves >= o_.local_iter) break;
      std::size_t pick = 0;
      if (!first && !latest_.empty()) {
        // The pool vertex farthest from the latest local solution.
        const Vector lu = to_u(latest_);
        double best = -1;
        for (std::size_t k = 0; k < pool.size(); ++k) {
          const double dd = sq_dist(vertices_[pool[k]].u, lu);
          if (dd > best) best = dd, pick = k;
        }
      }
      const std::size_t v = pool[pick];
      pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(pick));
      first = false;
      local_solve(v);
      ++solves;
      if (f_min_reached()) return;
    }
  }

  bool f_min_reached() const {
    if (!o_.f_min) return false;
    double best = kInf;
    for (const auto& m : minima_)
      if (m.feasible) best = std::min(best, m.f);
    for (const auto& v : vertices_) best = std::min(best, v.f);
    if (!std::isfinite(best)) return false;
    const double fm = *o_.f_min;
    return fm == 0 ? best - fm <= o_.f_tol : (best - fm) / std::abs(fm) <= o_.f_tol;
  }

  void finish(Result& r) {
    std::stable_sort(minima_.begin(), minima_.end(),
                     [](const LocalMinimum& a, const LocalMinimum& b) {
                       if (a.feasible != b.feasible) return a.feasible;
                       return a.f < b.f;
                     });
    r.minima = minima_;
    r.nfev = nfev_;
    r.nlfev = nlfev_;
    r.nsample = vertices_.size();
    r.nit = nit_;
    r.pool_size = pool_total_;
    r.fun = kInf;
    if (!minima_.empty() && minima_.front().feasible) {
      r.x = minima_.front().x;
      r.fun = minima_.front().f;
      r.success = true;
    } else {
      // No feasible local minimum: the best sampled vertex (scipy returns success = false).
      for (const auto& v : vertices_)
        if (v.f < r.fun) r.x = v.x, r.fun = v.f;
      if (r.x.empty() && !minima_.empty()) r.x = minima_.front().x, r.fun = minima_.front().f;
      r.success = false;
      if (message_.find("pool") == std::string::npos)
        message_ += r.x.empty() ? "; nothing was evaluated" : "; no feasible local minimum found";
    }
    if (success_override_ && std::isfinite(r.fun)) r.success = true;
    r.message = message_;
  }

  const Objective& f_;
  const Constraints& g_;
  Vector lo_, hi_;
  Options o_;
  std::size_t d_;
  std::chrono::steady_clock::time_point start_;
  Sampling sampling_;
  std::vector<Vertex> vertices_;
  std::map<Vector, std::size_t> index_;
  std::vector<LocalMinimum> minima_;
  Vector latest_;
  Vector local_lo_, local_hi_;
  std::size_t level_ = 0, sobol_used_ = 0;
  std::size_t nfev_ = 0, nlfev_ = 0, nit_ = 0, pool_total_ = 0;
  std::string message_, sampling_exhausted_;
  bool success_override_ = false;
};

}  // namespace

std::vector<Vector> sobol_points(std::size_t d, std::size_t count, std::size_t skip,
                                 std::uint64_t shift_seed) {
  if (d == 0 || d > 3667) throw std::invalid_argument("sobol_points: d must be in [1, 3667]");
  std::vector<Vector> out;
  out.reserve(count);
  // Boost's generator starts at the sequence's second point; the first is the origin.
  boost::random::sobol gen(static_cast<unsigned>(d));
  const double scale = std::ldexp(
      1.0, -static_cast<int>(std::numeric_limits<boost::random::sobol::result_type>::digits));
  std::vector<boost::random::sobol::result_type> shift(d, 0);
  if (shift_seed) {
    std::mt19937_64 rng(shift_seed);
    for (auto& s : shift) s = static_cast<boost::random::sobol::result_type>(rng());
  }
  std::size_t index = 0;
  auto next = [&]() {
    Vector p(d, 0.0);
    for (std::size_t i = 0; i < d; ++i)
      p[i] = static_cast<double>((index > 0 ? gen() : 0) ^ shift[i]) * scale;
    ++index;
    return p;
  };
  for (std::size_t i = 0; i < skip; ++i) next();
  for (std::size_t i = 0; i < count; ++i) out.push_back(next());
  return out;
}

Result minimize(const Objective& f, const Vector& lo, const Vector& hi, const Constraints& g,
                const Options& options) {
  Solver s(f, lo, hi, g, options);
  return s.run();
}

}  // namespace coex::shgo
