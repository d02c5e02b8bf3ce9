// SHGO (simplicial homology global optimisation; Endres, Sandrock, Focke, J. Global Optim. 2018)
// for boxes with inequality constraints, following scipy.optimize.shgo (see
// README.md). The controller `shgo` drives it over a coex Space; tests and
// bench/ call it directly on closed-form functions.
//
// One iteration: sample the box (simplicial complex or Sobol points), evaluate the constraints
// and then f at every new sample (f = +inf where a constraint fails), form the minimiser pool
// (vertices strictly lower than every vertex linked to them), and run one local solve (NLopt)
// from each pool vertex not used before. The result lists every local minimum found.
// When no vertex qualifies for the pool (ties on plateaus or symmetric samples), one local solve
// starts from the lowest feasible vertex (a coex addition; scipy returns that vertex unrefined).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace coex::shgo {

using Vector = std::vector<double>;

/// The objective, minimised. May return +inf or NaN (treated as +inf) where undefined; may
/// throw shgo::Stop to end the search early (for example when an outer budget is spent).
using Objective = std::function<double(const Vector& x)>;
/// Inequality constraints: every component of the returned vector must be >= 0 for x to be
/// feasible. Must return the same number of components on every call.
using Constraints = std::function<Vector(const Vector& x)>;

/// Thrown by an Objective or Constraints to end the search; minimize() then returns what it has
/// found so far with `stopped_early` set. Any other exception propagates out of minimize().
struct Stop : std::runtime_error {
  Stop() : std::runtime_error("shgo: stopped by the objective") {}
};

enum class Sampling {
  /// Simplicial when there are no constraints, Sobol otherwise (scipy#18717: the simplicial
  /// complex mishandles constrained problems).
  kAuto,
  /// Iteration 1: the 2^d box corners plus the centroid, linked as in scipy's complex (two
  /// corners iff componentwise comparable, minus the main diagonal; the centroid to every
  /// corner). Iteration k halves every cell of the previous lattice and triangulates each cell
  /// the same way, so every earlier vertex stays a vertex. Suited to d <= ~10.
  kSimplicial,
  /// `n` unscrambled Sobol points per iteration (n rounded up to a power of two; the first
  /// point is the origin of the box, as in scipy), plus earlier local minima. Vertices are linked
  /// by the Gabriel graph (a subgraph of the Delaunay graph that contains the nearest-neighbour
  /// graph; equal to the Delaunay chain in 1-D), computed on box-normalised coordinates.
  kSobol,
};

enum class LocalMethod {
  kSlsqp,   ///< NLopt LD_SLSQP with forward-difference gradients (smooth problems)
  kCobyla,  ///< NLopt LN_COBYLA, derivative-free (rounded or noisy objectives)
  kNone,    ///< no local solves: the pool vertices themselves are the minima
};

struct Options {
  Sampling sampling = Sampling::kAuto;
  /// Sobol points per iteration (rounded up to a power of two). Ignored by simplicial sampling.
  std::size_t n = 128;
  /// Sobol only: 0 = scipy's unscrambled sequence; otherwise a random digital shift (XOR of each
  /// coordinate's bits with a value drawn from this seed), which keeps the sequence's
  /// stratification and gives independent replicates for different seeds.
  std::uint64_t sobol_shift_seed = 0;
  /// Iterations (sampling + pool + local solves); 0 means "until another limit stops it".
  std::size_t iters = 1;
  /// Limits (0 / unset = none). maxfev counts every evaluation of f (samples and local solves)
  /// and is never exceeded; maxev caps the sampled vertices; maxtime is in seconds.
  std::size_t maxfev = 0;
  std::size_t maxev = 0;
  double maxtime = 0;
  /// Stop once the best f is within f_tol of f_min (relative, or absolute when f_min == 0).
  std::optional<double> f_min;
  double f_tol = 1e-4;
  /// Stop when an iteration adds at most this many minimiser-pool vertices (homology growth).
  std::optional<std::size_t> minhgrd;

  LocalMethod local = LocalMethod::kSlsqp;
  /// Local solver tolerance on f (absolute and relative), as scipy's SLSQP ftol.
  double local_ftol = 1e-12;
  /// Local solver tolerance on x per coordinate, as a fraction of the box's extent (empty =
  /// none). With a rounded objective, set local_ftol = 0 (plateaus would stop the solve at once)
  /// and a step below one discrete value here.
  Vector local_xtol;
  /// Cap on objective calls of one local solve (NLopt maxeval; each SLSQP call with a gradient
  /// costs 1 + d evaluations of f).
  std::size_t local_maxeval = 100;
  /// At most this many local solves per iteration (0 = one from every pool vertex).
  std::size_t local_iter = 0;
  /// Simplicial mode only: bound each local solve to the start's neighbourhood (half a lattice
  /// cell each way) instead of the whole box. Off by default (scipy#16260).
  bool shrink_local_bounds = false;
  /// COBYLA's initial step per coordinate, as a fraction of the box's extent (empty = 0.05).
  Vector initial_step;
  /// Forward-difference step, relative to max(1, |x_i|).
  double fd_step = 1.4901161193847656e-8;
  /// Constraint tolerance for the feasibility flag of a local minimum.
  double constraint_tol = 1e-8;
  /// Called after every iteration with the iteration number (1-based); returning false ends the
  /// search (message "stopped by the iteration callback").
  std::function<bool(std::size_t iteration)> on_iteration;
  /// Called with a sampling stage's new points (box coordinates, in the order f and the
  /// constraints will then be asked for them, at most maxev - vertices) before they are evaluated
  /// one at a time: a caller whose evaluations are expensive can run them together (in parallel)
  /// and answer the calls from memory. Not called when maxfev or maxtime is set, which count
  /// calls one at a time. Exceptions propagate as from f.
  std::function<void(const std::vector<Vector>& xs)> prefetch;
};

struct LocalMinimum {
  Vector x;
  double f = 0;
  /// All constraints hold on x (within Options::constraint_tol).
  bool feasible = true;
};

struct Result {
  /// The lowest feasible local minimum (or the best sampled vertex if no local minimum exists).
  Vector x;
  double fun = 0;
  /// Every local minimum found, ascending in f (feasible ones first), no duplicates.
  std::vector<LocalMinimum> minima;
  std::size_t nfev = 0;       ///< evaluations of f: feasible samples + local-solver calls
  std::size_t nlfev = 0;      ///< evaluations of f inside local solves
  std::size_t nsample = 0;    ///< vertices sampled
  std::size_t nit = 0;        ///< iterations completed
  std::size_t pool_size = 0;  ///< minimiser-pool vertices over all iterations
  bool success = false;
  bool stopped_early = false;  ///< shgo::Stop was thrown by the objective or constraints
  std::string message;
};

/// Minimises f over the box [lo, hi] subject to g(x) >= 0 (pass an empty `g` for none).
/// `lo` and `hi` must have equal, non-zero size with lo[i] < hi[i] finite (std::invalid_argument
/// otherwise). Deterministic: no random state.
Result minimize(const Objective& f, const Vector& lo, const Vector& hi, const Constraints& g,
                const Options& options);

/// The first `count` points of the unscrambled Sobol sequence in [0,1)^d, starting at the origin
/// (Boost.Random direction numbers; up to 3667 dimensions).
/// `shift_seed` != 0 applies the digital shift described at Options::sobol_shift_seed.
std::vector<Vector> sobol_points(std::size_t d, std::size_t count, std::size_t skip = 0,
                                 std::uint64_t shift_seed = 0);

}  // namespace coex::shgo
