import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { Authenticated } from '../auth/decorators.js';
import { type Page, PageQueryDto } from '../common/pagination.js';
import { UuidParam } from '../common/uuid-param.js';
import {
  CreatedWorkstationDto,
  CreateWorkstationDto,
  WorkstationDto,
  WorkstationPageDto,
  WorkstationTokenDto,
} from './dto/kiosk.dto.js';
import { WorkstationsService } from './workstations.service.js';

@ApiTags('kiosk')
@Authenticated('admin')
@Controller('kiosk/workstations')
export class WorkstationsController {
  constructor(private readonly workstations: WorkstationsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Register a workstation', description: 'Answers it with a kiosk token valid 365 days.' })
  @ApiCreatedResponse({ type: CreatedWorkstationDto })
  @ApiBadRequestResponse({ description: 'VALIDATION_FAILED' })
  create(@Body() dto: CreateWorkstationDto): Promise<CreatedWorkstationDto> {
    return this.workstations.create(dto);
  }

  @Post(':id/token')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Rotate the kiosk token',
    description: 'Every older token of the workstation stops working at once; its sockets are disconnected.',
  })
  @ApiCreatedResponse({ type: WorkstationTokenDto })
  @ApiNotFoundResponse({ description: 'NOT_FOUND' })
  rotateToken(@UuidParam() id: string): Promise<WorkstationTokenDto> {
    return this.workstations.rotateToken(id);
  }

  @Get()
  @ApiOperation({ summary: 'Workstations, oldest first' })
  @ApiOkResponse({ type: WorkstationPageDto })
  list(@Query() query: PageQueryDto): Promise<Page<WorkstationDto>> {
    return this.workstations.list(query);
  }
}
