"""Mail the ATS sends (interview invitations, scheduling links, confirmations, notices), queued as tasks in the
transaction of the change and sent by the task worker after the commit."""
