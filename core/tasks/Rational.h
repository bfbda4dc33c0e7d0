#pragma once
// Exact rational numbers for verifiers (Game of 24 steps such as 5-1/5 must be exact).
#include <compare>
#include <cstdint>
#include <optional>
#include <string>

namespace tb {

class Rational {
 public:
  Rational() = default;
  Rational(long long value) : num_(value), den_(1) {}  // NOLINT: implicit from integers
  Rational(long long num, long long den);               // throws InternalError when den == 0

  long long num() const { return num_; }
  long long den() const { return den_; }
  bool isInteger() const { return den_ == 1; }

  Rational operator+(const Rational& o) const;
  Rational operator-(const Rational& o) const;
  Rational operator*(const Rational& o) const;
  std::optional<Rational> dividedBy(const Rational& o) const;  // nullopt for division by zero
  // a op b for op in "+-*/" without throwing: nullopt for an unknown op, division by zero or a
  // result that does not fit in 64 bits. Verifiers use it on untrusted policy output.
  static std::optional<Rational> tryApply(char op, const Rational& a, const Rational& b);
  bool operator==(const Rational& o) const = default;
  std::strong_ordering operator<=>(const Rational& o) const;

  std::string toString() const;  // "4", "-3", "24/5"
  static std::optional<Rational> parse(const std::string& text);  // "4", "-3", "24/5"

 private:
  long long num_ = 0;
  long long den_ = 1;  // always > 0, gcd(num, den) == 1
};

}  // namespace tb
