"""Bus channel names: one per company's board, one per job."""


def board_channel(company_id: int) -> str:
    return f"company:{company_id}:board"


def job_channel(job_id: int) -> str:
    return f"job:{job_id}"
