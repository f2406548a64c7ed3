"""The app's screens. Each is thin: it calls the `vault` API and renders what comes back."""
