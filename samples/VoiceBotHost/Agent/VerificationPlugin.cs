using System.ComponentModel;
using System.Text.Json;
using InCallMessaging.SemanticKernel;
using Microsoft.SemanticKernel;

namespace VoiceBotHost.Agent;

/// <summary>
/// The model's only way to judge a one-time code: it passes on what the caller gave back, and the server says whether
/// it matches (<see cref="OneTimeCodes"/>). The code itself never reaches the model.
/// </summary>
public sealed class VerificationPlugin(OneTimeCodes codes)
{
    public const string PluginName = "verification";

    [KernelFunction("check_code")]
    [Description("Checks a verification code the caller gave back (texted in an [SMS Reply]: line, said, or keyed) against the one the server texted them. Always use this; never compare or judge a code yourself. Returns whether the caller is verified.")]
    public string CheckCode(Kernel kernel, [Description("The code exactly as the caller gave it, e.g. 482913 or 'four eight two nine one three'.")] string code)
    {
        if (kernel.GetCallSession() is not { } call)
        {
            return Result("error", "This kernel is not bound to a call.");
        }

        return Describe(codes.Check(call, code ?? ""), codes.AttemptsLeft(call));
    }

    /// <summary>The JSON the model gets for a check, with what to tell the caller.</summary>
    public static string Describe(CodeCheck check, int attemptsLeft) => check switch
    {
        CodeCheck.Verified => Result("verified", "The code matches: the caller is verified. Tell them so; do not read the code out."),
        CodeCheck.NoMatch => Result("no_match", $"The code does not match the one texted. Ask the caller to check the text and give it again ({attemptsLeft} tries left)."),
        CodeCheck.TooManyAttempts => Result("too_many_attempts", "Too many wrong codes: that code no longer works. Offer to text a new one."),
        _ => Result("no_code", "No verification code is outstanding on this call. Offer to text one."),
    };

    private static string Result(string status, string detail) =>
        JsonSerializer.Serialize(new { status, detail });
}
