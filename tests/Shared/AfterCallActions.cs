using InCallMessaging.SemanticKernel;

namespace InCallMessaging.Testing;

/// <summary>The after-call action the tests of every store schedule: a booking confirmation sent when the call ends.</summary>
internal static class AfterCallActions
{
    /// <summary>The text <see cref="Confirmation"/> renders for <paramref name="day"/>.</summary>
    public static string ConfirmationText(string day) => $"Your table is booked for {day}. Reply STOP to opt out.";

    /// <summary>A fresh <c>send_confirmation</c> action (<see cref="ActionTiming.AfterCall"/>) with one required argument, <c>day</c>.</summary>
    public static InCallMessageAction Confirmation() => new()
    {
        Name = "send_confirmation",
        Description = "Text the caller their booking confirmation after the call, when a booking was made.",
        Body = "Your table is booked for <day>. Reply STOP to opt out.",
        Parameters = new ActionParameters
        {
            Properties = { ["day"] = new ActionParameter { Description = "The day booked." } },
            Required = { "day" },
        },
        When = ActionTiming.AfterCall,
    };
}
