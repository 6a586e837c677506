"""What outside services send back to Tocsin: presses of Slack's and Telegram's
Acknowledge buttons, keys pressed during a Twilio call. A front end: it checks each
request's signature and acknowledges through services."""
