// Exact rational arithmetic for the verifiers. Intermediate products are computed in 128 bits and
// the result must fit back into 64 bits; anything larger throws InternalError instead of wrapping.
#include "core/tasks/Rational.h"

#include <climits>

#include "core/Error.h"

namespace tb {

namespace {

using Wide = __int128;

Wide absWide(Wide v) { return v < 0 ? -v : v; }

Wide gcdWide(Wide a, Wide b) {
  a = absWide(a);
  b = absWide(b);
  // 128-bit division is a slow library call; small values (the common case) take 64 bits.
  if (a <= Wide(UINT64_MAX) && b <= Wide(UINT64_MAX)) {
    auto x = static_cast<std::uint64_t>(a), y = static_cast<std::uint64_t>(b);
    while (y != 0) {
      const std::uint64_t t = x % y;
      x = y;
      y = t;
    }
    return x;
  }
  while (b != 0) {
    const Wide t = a % b;
    a = b;
    b = t;
  }
  return a;
}

bool fits(Wide v) { return v >= LLONG_MIN && v <= LLONG_MAX; }

// Normalises num/den (den != 0); nullopt when the reduced fraction does not fit in 64 bits.
std::optional<Rational> makeChecked(Wide num, Wide den) {
  if (den < 0) {
    num = -num;
    den = -den;
  }
  const Wide g = gcdWide(num, den);
  if (g > 1) {
    num /= g;
    den /= g;
  }
  if (!fits(num) || !fits(den)) return std::nullopt;
  // The two-argument constructor re-normalises, which is a no-op here.
  return Rational(static_cast<long long>(num), static_cast<long long>(den));
}

Rational makeOrThrow(Wide num, Wide den, const char* what) {
  if (auto r = makeChecked(num, den)) return *r;
  throw InternalError(std::string("Rational overflow in ") + what);
}

}  // namespace

Rational::Rational(long long num, long long den) {
  TB_CHECK(den != 0, "Rational with zero denominator (numerator ", num, ")");
  Wide n = num, d = den;
  if (d < 0) {
    n = -n;
    d = -d;
  }
  const Wide g = gcdWide(n, d);
  if (g > 1) {
    n /= g;
    d /= g;
  }
  // Only LLONG_MIN / -1 can fail to fit after normalisation.
  if (!fits(n) || !fits(d)) throw InternalError("Rational overflow in construction");
  num_ = static_cast<long long>(n);
  den_ = static_cast<long long>(d);
}

Rational Rational::operator+(const Rational& o) const {
  return makeOrThrow(Wide(num_) * o.den_ + Wide(o.num_) * den_, Wide(den_) * o.den_, "+");
}

Rational Rational::operator-(const Rational& o) const {
  return makeOrThrow(Wide(num_) * o.den_ - Wide(o.num_) * den_, Wide(den_) * o.den_, "-");
}

Rational Rational::operator*(const Rational& o) const {
  return makeOrThrow(Wide(num_) * o.num_, Wide(den_) * o.den_, "*");
}

std::optional<Rational> Rational::dividedBy(const Rational& o) const {
  if (o.num_ == 0) return std::nullopt;
  return makeOrThrow(Wide(num_) * o.den_, Wide(den_) * o.num_, "/");
}

std::optional<Rational> Rational::tryApply(char op, const Rational& a, const Rational& b) {
  // Each operand is below 2^63, so products of two fit in 127 bits and sums of two such in 128.
  switch (op) {
    case '+': return makeChecked(Wide(a.num_) * b.den_ + Wide(b.num_) * a.den_, Wide(a.den_) * b.den_);
    case '-': return makeChecked(Wide(a.num_) * b.den_ - Wide(b.num_) * a.den_, Wide(a.den_) * b.den_);
    case '*': return makeChecked(Wide(a.num_) * b.num_, Wide(a.den_) * b.den_);
    case '/':
      if (b.num_ == 0) return std::nullopt;
      return makeChecked(Wide(a.num_) * b.den_, Wide(a.den_) * b.num_);
    default: return std::nullopt;
  }
}

std::strong_ordering Rational::operator<=>(const Rational& o) const {
  // Denominators are positive, so cross-multiplying keeps the order.
  return Wide(num_) * o.den_ <=> Wide(o.num_) * den_;
}

std::string Rational::toString() const {
  return den_ == 1 ? std::to_string(num_) : std::to_string(num_) + "/" + std::to_string(den_);
}

std::optional<Rational> Rational::parse(const std::string& text) {
  // Strict: optional '-', digits, optionally '/' and digits; no spaces or '+'.
  size_t pos = 0;
  const bool negative = pos < text.size() && text[pos] == '-';
  if (negative) ++pos;
  auto readDigits = [&](Wide& out) {
    const size_t start = pos;
    out = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      out = out * 10 + (text[pos] - '0');
      if (out > Wide(LLONG_MAX)) return false;
      ++pos;
    }
    return pos > start;
  };
  Wide num = 0, den = 1;
  if (!readDigits(num)) return std::nullopt;
  if (pos < text.size() && text[pos] == '/') {
    ++pos;
    if (!readDigits(den) || den == 0) return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  return makeChecked(negative ? -num : num, den);
}

}  // namespace tb
