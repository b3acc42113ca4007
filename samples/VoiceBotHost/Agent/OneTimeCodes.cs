using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using InCallMessaging.SemanticKernel;

namespace VoiceBotHost.Agent;

/// <summary>How a code the caller gave back compared with the one texted to them.</summary>
public enum CodeCheck
{
    /// <summary>It matches: the caller is verified, and the code is used up.</summary>
    Verified,

    /// <summary>It does not match; the caller may try again.</summary>
    NoMatch,

    /// <summary>Too many wrong tries: the code is void; a new one must be sent.</summary>
    TooManyAttempts,

    /// <summary>No code is outstanding on this call (none sent, or already used).</summary>
    NoCode,
}

/// <summary>
/// One-time codes are made and checked here, on the server, never by the model: a fresh code from the cryptographic
/// random number generator for each send, kept on the call (and in the call variable the SMS template reads), and a
/// constant-time comparison of what the caller texted, said or keyed. The model only learns whether it matched.
/// </summary>
public sealed class OneTimeCodes
{
    /// <summary>The call variable the verification SMS template reads (<c>&lt;otp_code&gt;</c>).</summary>
    public const string Variable = "otp_code";

    public const int Length = 6;
    public const int MaxAttempts = 3;

    private readonly ConditionalWeakTable<CallSession, Outstanding> _codes = [];

    /// <summary>Makes a new code for the call (replacing any earlier one) and puts it where the SMS template finds it.</summary>
    public void Issue(CallSession call)
    {
        var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        _codes.AddOrUpdate(call, new Outstanding(code));
        call.SetVariable(Variable, code);
    }

    /// <summary>Compares the digits of <paramref name="answer"/> ("It's 4 8 2 9 1 3", "four eight two...") with the code, in constant time.</summary>
    public CodeCheck Check(CallSession call, string answer)
    {
        if (!_codes.TryGetValue(call, out var outstanding))
        {
            return CodeCheck.NoCode;
        }

        lock (outstanding)
        {
            if (outstanding.Closed)
            {
                return outstanding.Attempts >= MaxAttempts ? CodeCheck.TooManyAttempts : CodeCheck.NoCode;
            }

            var given = SpokenDigits.Of(answer);
            var matches = given.Length == Length
                && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(given), Encoding.ASCII.GetBytes(outstanding.Code));
            if (matches)
            {
                outstanding.Closed = true;
                call.SetVariable(Variable, null);
                return CodeCheck.Verified;
            }

            outstanding.Attempts++;
            if (outstanding.Attempts >= MaxAttempts)
            {
                outstanding.Closed = true;
                call.SetVariable(Variable, null);
                return CodeCheck.TooManyAttempts;
            }

            return CodeCheck.NoMatch;
        }
    }

    /// <summary>Attempts left on the call's code.</summary>
    public int AttemptsLeft(CallSession call) =>
        _codes.TryGetValue(call, out var outstanding) ? Math.Max(0, MaxAttempts - outstanding.Attempts) : 0;

    private sealed class Outstanding(string code)
    {
        public string Code { get; } = code;

        public int Attempts { get; set; }

        public bool Closed { get; set; }
    }
}

/// <summary>The digits in a text or in spoken words: "It's 4 8 2, 9 1 3" and "four eight two nine one three" both give 482913.</summary>
public static class SpokenDigits
{
    private static readonly string[] Words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "oh"];

    public static string Of(string text)
    {
        var digits = new StringBuilder();
        var word = new StringBuilder();
        foreach (var c in text.ToLowerInvariant().Append(' '))
        {
            if (char.IsAsciiDigit(c))
            {
                Flush();
                digits.Append(c);
            }
            else if (char.IsAsciiLetterLower(c))
            {
                word.Append(c);
            }
            else
            {
                Flush();
            }
        }

        return digits.ToString();

        void Flush()
        {
            var index = Array.IndexOf(Words, word.ToString());
            if (index >= 0)
            {
                digits.Append((char)('0' + (index % 10)));
            }

            word.Clear();
        }
    }
}
